"""The counting facts behind the figures, judged in one place (DOMAIN.md "Clocks",
Counting). The workflow records them as things happen; the rollup reads them.

Each function takes the ticket's plain values (an ORM ticket or the sweep's plain
copy), so the per-ticket path and the set-based sweep record the same facts.
"""
from datetime import datetime

ENDED_UNACCEPTED = ("cancelled", "merged")  # a stay that ended without anyone taking it on


def resolution_in_time(ticket, at: datetime) -> bool:
    """按时办结: no resolution deadline of this round was breached, even one an escalation
    replaced, and the one running now has not passed (approved extensions count)."""
    due = ticket.resolve_due_at
    return ticket.resolve_breached_at is None and (due is None or at <= due)


def acceptance_settles_at(due, accepted, ended) -> datetime:
    """When a stay's acceptance clock ended: at its 签收 or its end (moved on, cancelled)
    if that came first, else at the deadline."""
    if accepted is not None:
        return accepted if due is None or accepted <= due else due
    if due is None or (ended is not None and ended < due):
        return ended
    return due


def acceptance_outcome(due, accepted, ended) -> str | None:
    """"in_time", "missed", or None where nothing was due: the stay ended (the request
    moved on, was cancelled or merged) before its deadline without a 签收."""
    if accepted is not None and (due is None or accepted <= due):
        return "in_time"
    if due is None or (accepted is None and ended is not None and ended < due):
        return None
    return "missed"


def departure(ticket, at: datetime, action: str) -> dict:
    """The stay the request is leaving (escalated, returned, re-routed), as a
    ticket_arrivals row; call it before the request's columns move to the next unit."""
    due, accepted = ticket.accept_due_at, ticket.accepted_at
    return {"ticket_id": ticket.id, "unit_id": ticket.handling_unit_id,
            "arrived_at": ticket.arrived_at, "due_at": due, "accepted_at": accepted,
            "left_at": at, "left_by": action, "settles_at": acceptance_settles_at(due, accepted, at)}


def current_stay_end(ticket):
    """When the request's current stay ended without a 签收 (cancelled, merged), or None."""
    if ticket.accepted_at is None and ticket.state in ENDED_UNACCEPTED:
        return ticket.closed_at
    return None


def response_outcome(ticket) -> tuple[str, datetime] | None:
    """The first-response clock: ("in_time", answered at) or ("missed", deadline); None
    when nothing was due (withdrawn or merged unanswered before the deadline)."""
    due, first = ticket.response_due_at, ticket.first_response_at
    if due is None:
        return None
    if first is not None and first <= due:
        return "in_time", first
    if first is None and ticket.state in ENDED_UNACCEPTED and ticket.closed_at is not None \
            and ticket.closed_at < due:
        return None
    return "missed", due
