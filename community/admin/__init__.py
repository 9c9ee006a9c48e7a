"""The admin's pages (issue 24): users, areas, categories, and the audit of every change.
Calendar, SLA, jobs and webhooks have their own packages; the menu at /admin links all."""
