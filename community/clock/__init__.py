"""Deadlines and the working-day calendar: the lowest domain layer, below workqueue,
sla and ratings, so that every package which starts or moves a clock imports it
and none of them imports the SLA package for it.

The SLA policy in force and the database's calendar are the SLA package's; they are
handed in at start (community.wiring.install): deadlines.set_terms, calendar.set_loader.
"""
