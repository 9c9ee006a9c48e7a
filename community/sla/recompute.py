"""Open deadlines recomputed after the calendar changed (a year loaded, a day edited).

Every open clock counted in working days whose span touches the changed days is
counted again from its start with the calendar now in force: a request's
resolution deadline (from resolve_started_at, its stored number of working days,
extensions included), a 差评 case's start and close deadlines, a summoned
department's deadline. Each request whose deadline or provisional mark changed
gets an internal event; where the resident's visible deadline moved, a public
one. A breach recorded on a deadline that now lies in the future is withdrawn,
with an event, and the sweep watches the new deadline instead.
"""
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select

from community.auth.models import User
from community.clock.calendar import WorkCalendar, working_deadline
from community.clock.deadlines import (
    RESOLVE_BREACHED,
    RESOLVE_WARNED,
    _warn_at,
    assist_deadline,
    case_deadlines,
    warn_ratio,
)
from community.core.extensions import db
from community.ratings.models import CaseState, RectificationCase
from community.tickets.models import Ticket
from community.tickets.notes import Note
from community.tickets.services import record_event
from community.tickets.states import WORKING
from community.core.timeutil import local_zone, to_local
from community.workqueue.models import AssistState, AssistTask

from . import side

# Other packages' working-day deadlines (a project's 整改 case): each registers
# fn(first, last, calendar, now, counts) and recomputes its own open rows in the span.
_OTHERS = []


def register(recompute) -> None:
    if recompute not in _OTHERS:
        _OTHERS.append(recompute)


def _bounds(span: tuple[date, date]) -> tuple[datetime, datetime]:
    """The changed days as UTC instants, widened by a day each way."""
    zone = local_zone()
    first = datetime.combine(span[0] - timedelta(days=1), time.min, tzinfo=zone)
    last = datetime.combine(span[1] + timedelta(days=2), time.min, tzinfo=zone)
    return first, last


def recompute_deadlines(span: tuple[date, date], actor: User | None, now: datetime) -> Counter:
    """Recompute what counts any day in `span` (inclusive); the caller commits."""
    from .yearbook import current_calendar

    calendar = current_calendar()
    first, last = _bounds(span)
    counts = Counter()
    for ticket in _open_tickets(first, last):
        _ticket(ticket, calendar, actor, now, counts)
    for case in _open_cases(first, last):
        _case(case, calendar, now, counts)
    for task in _open_tasks(first, last):
        _task(task, calendar, now, counts)
    for recompute in _OTHERS:
        recompute(first, last, calendar, now, counts)
    db.session.flush()
    return counts


def _open_tickets(first, last):
    # A span counts the changed days when it starts before they end and ends after
    # they start; a provisional deadline is recomputed whatever its span.
    return db.session.scalars(select(Ticket).where(
        Ticket.state.in_([s.value for s in WORKING]), Ticket.resolve_due_at.is_not(None),
        Ticket.resolve_working_days.is_not(None),
        or_(Ticket.resolve_due_provisional.is_(True),
            (Ticket.resolve_started_at < last) & (Ticket.resolve_due_at > first)))
        .order_by(Ticket.id)).all()


def _open_cases(first, last):
    return db.session.scalars(select(RectificationCase).where(
        RectificationCase.state != CaseState.CLOSED,
        or_(RectificationCase.due_provisional.is_(True),
            (RectificationCase.opened_at < last) & (RectificationCase.close_due_at > first)))
        .order_by(RectificationCase.id)).all()


def _open_tasks(first, last):
    return db.session.scalars(select(AssistTask).where(
        AssistTask.state.in_([AssistState.OPEN, AssistState.ACCEPTED]),
        or_(AssistTask.due_provisional.is_(True),
            (AssistTask.created_at < last) & (AssistTask.due_at > first)))
        .order_by(AssistTask.id)).all()


def _when(value: datetime) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def _ticket(ticket: Ticket, calendar: WorkCalendar, actor, now: datetime, counts: Counter) -> None:
    start = ticket.resolve_started_at or ticket.accepted_at
    new = working_deadline(start, ticket.resolve_working_days, calendar)
    old = ticket.resolve_due_at
    if new.at == old and new.provisional == ticket.resolve_due_provisional:
        return
    ticket.resolve_due_at, ticket.resolve_due_provisional = new.at, new.provisional
    counts["tickets"] += 1
    note = Note("deadline_recomputed_provisional" if new.provisional else "deadline_recomputed",
                old=_when(old), new=_when(new.at))
    record_event(ticket, "deadline_recomputed", actor, now, public=False, note=note, touch=False)
    if new.at != old:
        counts["moved"] += 1
        record_event(ticket, "deadline_moved", None, now, public=True, touch=False,
                     note=Note("deadline_moved", new=_when(new.at)))
    flags = ticket.sla_flags or 0
    if flags & RESOLVE_BREACHED and new.at > now:
        counts["breaches_withdrawn"] += 1
        flags &= ~RESOLVE_BREACHED
        if ticket.resolve_breached_at == old:  # the round's "late" came from the guessed deadline
            ticket.resolve_breached_at = None
        if _warn_at(start, new.at, warn_ratio()) > now:
            flags &= ~RESOLVE_WARNED
        record_event(ticket, "breach_withdrawn", actor, now, public=False, touch=False,
                     note=Note("breach_withdrawn", new=_when(new.at)))
    elif flags & RESOLVE_WARNED and not flags & RESOLVE_BREACHED and _warn_at(start, new.at, warn_ratio()) > now:
        flags &= ~RESOLVE_WARNED  # the warning comes again at 75 % of the new clock
    ticket.sla_flags = flags


def _case(case: RectificationCase, calendar: WorkCalendar, now: datetime, counts: Counter) -> None:
    start, close, provisional = case_deadlines(case.opened_at, calendar)
    if (start, close, provisional) == (case.start_due_at, case.close_due_at, case.due_provisional):
        return
    old_start, old_close = case.start_due_at, case.close_due_at
    case.start_due_at, case.close_due_at, case.due_provisional = start, close, provisional
    counts["cases"] += 1
    flags = case.sla_flags or 0
    for due, old, breached, warned in ((start, old_start, side.START_BREACHED, side.START_WARNED),
                                       (close, old_close, side.CLOSE_BREACHED, side.CLOSE_WARNED)):
        if due != old and flags & breached and due > now:
            flags &= ~(breached | warned)
            counts["breaches_withdrawn"] += 1
    case.sla_flags = flags
    record_event(case.ticket, "deadline_recomputed", None, now, public=False, touch=False,
                 note=Note("case_recomputed", start=_when(start), close=_when(close)))


def _task(task: AssistTask, calendar: WorkCalendar, now: datetime, counts: Counter) -> None:
    due = assist_deadline(task.created_at, calendar)
    if (due.at, due.provisional) == (task.due_at, task.due_provisional):
        return
    moved = due.at != task.due_at
    task.due_at, task.due_provisional = due.at, due.provisional
    counts["assist_tasks"] += 1
    flags = task.sla_flags or 0
    if moved and flags & side.ASSIST_BREACHED and due.at > now:
        flags &= ~(side.ASSIST_BREACHED | side.ASSIST_WARNED)
        counts["breaches_withdrawn"] += 1
    task.sla_flags = flags
    record_event(task.ticket, "deadline_recomputed", None, now, public=False, touch=False,
                 note=Note("assist_recomputed", due=_when(due.at)))
