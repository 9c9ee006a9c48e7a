"""Deadlines stored on the request, set at each step so queues and sweeps read columns.

Durations come from COMMUNITY_SLA (DOMAIN.md "Clocks" defaults): acceptance
and first response in round-the-clock hours, resolution in working days
(urgent requests in hours).
"""
from datetime import datetime, timedelta

from flask import current_app

from community.tickets.states import WAITING, WORKING

from .calendar import add_working_days

DEFAULT_SLA = {
    "response_hours": 24,
    "accept_hours": {"urgent": 1, "utilities": 2, "general": 24, "complex": 24},
    "resolve": {"urgent": ["hours", 24], "utilities": ["working_days", 7],
                "general": ["working_days", 7], "complex": ["working_days", 15]},
}


def _policy():
    return current_app.config.get("COMMUNITY_SLA") or DEFAULT_SLA


def sla_class(ticket) -> str:
    return "urgent" if ticket.urgency == "urgent" else ticket.category.sla_class


def start_response_clock(ticket, now: datetime) -> None:
    ticket.response_due_at = now + timedelta(hours=_policy()["response_hours"])


def start_accept_clock(ticket, now: datetime) -> None:
    """On arrival at a unit: submission, escalation, re-routing."""
    hours = _policy()["accept_hours"].get(sla_class(ticket), 24)
    ticket.accept_due_at = now + timedelta(hours=hours)
    ticket.resolve_due_at = None


def start_resolve_clock(ticket, now: datetime) -> None:
    """On 签收 or 重办."""
    unit, amount = _policy()["resolve"].get(sla_class(ticket), ["working_days", 7])
    if unit == "hours":
        ticket.resolve_due_at = now + timedelta(hours=amount)
    else:
        ticket.resolve_due_at = add_working_days(now, amount)


def extend_resolve_clock(ticket, days: int) -> None:
    # A deadline is midnight at the end of a day; count from within that day.
    ticket.resolve_due_at = add_working_days(ticket.resolve_due_at - timedelta(seconds=1), days)


def next_due(ticket) -> datetime | None:
    """The nearest clock still running, used to order queues."""
    candidates = []
    if ticket.first_response_at is None and ticket.response_due_at:
        candidates.append(ticket.response_due_at)
    if ticket.state in WAITING and ticket.accept_due_at:
        candidates.append(ticket.accept_due_at)
    if ticket.state in WORKING and ticket.resolve_due_at:
        candidates.append(ticket.resolve_due_at)
    if ticket.state not in WAITING | WORKING:
        return None
    return min(candidates) if candidates else None
