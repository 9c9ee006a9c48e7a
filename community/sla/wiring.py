"""Keeps the stored clocks in step with the ticket, whatever changed it."""
from community.clock import calendar, deadlines
from community.clock.deadlines import (
    next_check,
    next_due,
    start_accept_clock,
    start_response_clock,
)
from community.tickets.models import Ticket

from .services import terms_for
from .yearbook import current_calendar


def _clocks_on_submit(ticket, now, **kwargs):
    start_response_clock(ticket, now)
    start_accept_clock(ticket, now)


def _refresh_next_due(session, flush_context, instances):
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Ticket):
            obj.next_due_at = next_due(obj)
            obj.sla_check_at = next_check(obj)


def _calendar_in_app():
    """The database's calendar inside an app context; None outside one (calendar.current
    then falls back to the package's own years)."""
    from flask import has_app_context

    return current_calendar() if has_app_context() else None


def install():
    """The database's calendar and the SLA policies for community.clock."""
    calendar.set_loader(_calendar_in_app)
    deadlines.set_terms(terms_for)
