"""Deadlines stored on the request, set at each step so queues and sweeps read columns.

Durations come from the SLA policy in force when the clock starts
(community.sla.services.terms_for, handed in by set_terms at start; seeded with
DOMAIN.md "Clocks"):
acceptance and first response in round-the-clock hours, resolution in
working days (urgent requests in hours). Each clock also has warning and
breach marks (sla_flags), cleared when the clock starts again, so the sweep
acts once per clock and deadline.
"""
from datetime import datetime, timedelta

from flask import current_app

from community.tickets.states import WAITING, WORKING, State

from .calendar import working_deadline

# Bits of Ticket.sla_flags: which warnings and breaches the sweep has recorded.
RESPONSE_WARNED, RESPONSE_BREACHED = 1, 2
ACCEPT_WARNED, ACCEPT_BREACHED = 4, 8
RESOLVE_WARNED, RESOLVE_BREACHED = 16, 32
RESPONSE_BITS = RESPONSE_WARNED | RESPONSE_BREACHED
ACCEPT_BITS = ACCEPT_WARNED | ACCEPT_BREACHED
RESOLVE_BITS = RESOLVE_WARNED | RESOLVE_BREACHED


def sla_class(ticket) -> str:
    """Urgent requests run on the urgent clocks; a 建议 (suggestion) needs study, so it
    runs on the suggestion/complex clocks whatever its category (DOMAIN.md "Clocks")."""
    if ticket.urgency == "urgent":
        return "urgent"
    if ticket.kind == "suggestion":
        return "complex"
    return ticket.category.sla_class


_terms_for = None  # community.sla.services.terms_for, handed in by community.wiring


def set_terms(terms_for) -> None:
    """Where durations come from: terms_for(sla_class, category_id, at) -> Terms."""
    global _terms_for
    _terms_for = terms_for


def _terms(ticket, at: datetime):
    if _terms_for is None:
        raise RuntimeError("clock.deadlines: no SLA policy source (community.wiring.install)")
    # Before the first flush only the relationship is set, not the column.
    category_id = ticket.category.id if ticket.category is not None else ticket.category_id
    return _terms_for(sla_class(ticket), category_id, at)


def _clear(ticket, bits: int) -> None:
    ticket.sla_flags = (ticket.sla_flags or 0) & ~bits


def start_response_clock(ticket, now: datetime) -> None:
    ticket.response_due_at = now + timedelta(hours=_terms(ticket, now).response_hours)
    _clear(ticket, RESPONSE_BITS)


def note_resolve_breach(ticket, now: datetime) -> None:
    """A running resolution deadline that has come by `now` stays on record as breached
    for this round (until its 办结), whatever later deadline replaces it: late is late."""
    due = ticket.resolve_due_at
    if due is not None and due <= now and ticket.state not in ("resolved", "closed"):
        if ticket.resolve_breached_at is None or due < ticket.resolve_breached_at:
            ticket.resolve_breached_at = due


def start_accept_clock(ticket, now: datetime) -> None:
    """On arrival at a unit: submission, escalation, re-routing."""
    note_resolve_breach(ticket, now)  # an escalation replaces a deadline already passed
    ticket.accept_due_at = now + timedelta(hours=_terms(ticket, now).accept_hours)
    ticket.resolve_due_at = None
    ticket.resolve_started_at = None
    ticket.resolve_working_days = None
    ticket.resolve_due_provisional = False
    _clear(ticket, ACCEPT_BITS | RESOLVE_BITS)


def start_resolve_clock(ticket, now: datetime) -> None:
    """On 签收 or 重办."""
    terms = _terms(ticket, now)
    ticket.resolve_started_at = now
    if terms.resolve_unit == "hours":
        ticket.resolve_due_at = now + timedelta(hours=terms.resolve_amount)
        ticket.resolve_working_days, ticket.resolve_due_provisional = None, False
    else:
        _count_resolve_days(ticket, terms.resolve_amount)
    _clear(ticket, RESOLVE_BITS)


def _count_resolve_days(ticket, days: int) -> None:
    """The deadline `days` working days from the clock's start, kept with its count
    so a calendar loaded later can count again (community.sla.recompute)."""
    deadline = working_deadline(ticket.resolve_started_at, days)
    ticket.resolve_due_at, ticket.resolve_due_provisional = deadline.at, deadline.provisional
    ticket.resolve_working_days = days


def extend_resolve_clock(ticket, days: int, now: datetime | None = None) -> None:
    """An approved 延期. One approved after the deadline came leaves it breached."""
    if now is not None:
        note_resolve_breach(ticket, now)
    if ticket.resolve_working_days is not None and ticket.resolve_started_at is not None:
        _count_resolve_days(ticket, ticket.resolve_working_days + days)
    else:  # a clock in hours: the extension's working days count from its deadline's day
        deadline = working_deadline(ticket.resolve_due_at - timedelta(seconds=1), days)
        ticket.resolve_due_at = deadline.at
        ticket.resolve_due_provisional = ticket.resolve_due_provisional or deadline.provisional
    _clear(ticket, RESOLVE_BITS)  # a new deadline: warn and breach against it


def next_due(ticket) -> datetime | None:
    """The nearest clock still running, used to order queues."""
    candidates = []
    if ticket.first_response_at is None and ticket.response_due_at:
        candidates.append(ticket.response_due_at)
    if ticket.state in WAITING and ticket.accept_due_at:
        candidates.append(ticket.accept_due_at)
    if ticket.state in WORKING and ticket.resolve_due_at:
        candidates.append(ticket.resolve_due_at)
    external = getattr(ticket, "external_due_at", None)  # an upstream's deadline (exchange)
    if external is not None:
        candidates.append(external)
    if ticket.state not in WAITING | WORKING:
        return None
    return min(candidates) if candidates else None


def warn_ratio() -> float:
    return float(current_app.config.get("COMMUNITY_SLA_WARN_RATIO", 0.75))


def _warn_at(start: datetime | None, due: datetime, ratio: float) -> datetime:
    if start is None or start >= due:
        return due
    return start + (due - start) * ratio


def pending_marks(ticket, ratio: float | None = None):
    """The sweep's outstanding marks on this ticket, as (at, clock, kind) tuples:
    each running clock's warning (at `ratio` of its length) and breach not yet
    recorded, and the closing of a resolved request after its windows."""
    ratio = warn_ratio() if ratio is None else ratio
    flags = ticket.sla_flags or 0
    marks = []
    state = ticket.state
    if state in WAITING | WORKING:
        if ticket.first_response_at is None and ticket.response_due_at:
            marks += _clock(flags, "response", ticket.submitted_at, ticket.response_due_at,
                            RESPONSE_WARNED, RESPONSE_BREACHED, ratio)
        if state in WAITING and ticket.accept_due_at:
            marks += _clock(flags, "accept", ticket.arrived_at, ticket.accept_due_at,
                            ACCEPT_WARNED, ACCEPT_BREACHED, ratio)
        if state in WORKING and ticket.resolve_due_at:
            # An upstream's own deadline (community.exchange), when earlier, moves the
            # warning forward; the breach stays ours (the figures measure our clock).
            external = getattr(ticket, "external_due_at", None)
            warn_due = min(ticket.resolve_due_at, external) if external else ticket.resolve_due_at
            marks += _clock(flags, "resolve", ticket.resolve_started_at or ticket.accepted_at,
                            ticket.resolve_due_at, RESOLVE_WARNED, RESOLVE_BREACHED, ratio,
                            warn_due=warn_due)
    elif state == State.RESOLVED and ticket.resolved_at is not None:
        days = current_app.config["COMMUNITY_REOPEN_WINDOW_DAYS"]
        marks.append((ticket.resolved_at + timedelta(days=days), "close", "close"))
    return sorted(marks, key=lambda m: m[0])


def _clock(flags, name, start, due, warned_bit, breached_bit, ratio, warn_due=None):
    if not flags & warned_bit:
        return [(min(_warn_at(start, warn_due or due, ratio), due), name, "warning")]
    if not flags & breached_bit:
        return [(due, name, "breach")]
    return []


def on_timeline(ticket, at: datetime) -> datetime:
    """When a late sweep records a mark: at its deadline, unless someone acted on the
    request after that deadline and before the sweep came. Then the mark follows that
    action, so the timeline never shows an escalation before a step taken at the
    lower tier (every event sets updated_at, so it is the latest event's time)."""
    last = ticket.updated_at
    return last if last is not None and last > at else at


def next_check(ticket, ratio: float | None = None) -> datetime | None:
    """When the sweep next has something to do for this ticket (Ticket.sla_check_at)."""
    marks = pending_marks(ticket, ratio)
    return marks[0][0] if marks else None


def case_deadlines(opened_at: datetime, calendar=None):
    """A 差评 case's (start, close) deadlines and whether either is provisional."""
    config = current_app.config
    start = working_deadline(opened_at, config["COMMUNITY_REVIEW_START_WORKING_DAYS"], calendar)
    close = working_deadline(opened_at, config["COMMUNITY_REVIEW_CLOSE_WORKING_DAYS"], calendar)
    return start.at, close.at, start.provisional or close.provisional


def assist_deadline(summoned_at: datetime, calendar=None):
    """A summoned department's deadline (吹哨报到), from its own working-day clock."""
    return working_deadline(summoned_at, current_app.config["COMMUNITY_ASSIST_WORKING_DAYS"], calendar)
