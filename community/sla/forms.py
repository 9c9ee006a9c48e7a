"""The SLA admin's form: plain text, checked by sla.services and the parsers in views.py."""
from community.web.forms import text_form

PolicyForm = text_form("PolicyForm", "sla_class", "category", "effective_from", "response_hours",
                       "accept_hours", "resolve_amount", "resolve_unit", "note")
