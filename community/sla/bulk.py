"""The sweep's fast path: the same marks as the per-ticket path, set-based.

Due rows are read as plain values (Core, no ORM objects), each ticket's marks
are replayed in Python on a plain copy with the same clock functions
(pending_marks, start_accept_clock, next_due, next_check), and the outcome is
written with a handful of statements: one executemany UPDATE keyed by id and
version, one multi-row INSERT of events (ids returned in order), one of staff
messages. Receivers of signals.event_recorded get their bulk twins
(send_many). A ticket the fast path does not know how to move (a tier
outside grid→county, a grid without its upper units) is handed back to the
per-ticket path, which raises or copes exactly as before.
"""
import functools
import logging
from collections import Counter, defaultdict
from datetime import datetime, timezone
from types import SimpleNamespace

from sqlalchemy import DateTime, func, select

from community.areas.models import Unit
from community.auth.models import Role, User
from community.core.bulkdb import any_of, insert_rows, update_versioned
from community.clock.deadlines import (
    next_check,
    next_due,
    on_timeline,
    pending_marks,
    start_accept_clock,
)
from community.core import signals
from community.core.dbtypes import UTCDateTime
from community.core.extensions import db
from community.tally.facts import departure
from community.tally.models import Arrival
from community.tickets.models import Category, Ticket, TicketEvent
from community.tickets.notes import Note
from community.tickets.states import OPEN, State
from community.workqueue import escalation as rules
from community.workqueue.models import Notification
from community.workqueue.notifications import promise_delivery

from .marks import escalation_note, notice_for, staff_notices

log = logging.getLogger(__name__)

READ = ("id", "version", "state", "tier", "level", "handling_unit_id", "assignee_id", "grid_id",
        "urgency", "category_id", "tracking_code", "contact_phone", "resident_id", "filed_by_id",
        "submitted_at", "arrived_at", "accepted_at", "first_response_at", "resolved_at",
        "closed_at", "response_due_at", "accept_due_at", "resolve_due_at", "resolve_started_at",
        "sla_flags", "updated_at", "next_due_at", "sla_check_at", "kind", "resolve_working_days",
        "resolve_due_provisional", "resolve_breached_at")
# What a warning, a breach, an escalation or a closing can change.
WRITTEN = ("state", "tier", "level", "handling_unit_id", "assignee_id", "arrived_at",
           "accepted_at", "closed_at", "accept_due_at", "resolve_due_at", "resolve_started_at",
           "resolve_working_days", "resolve_due_provisional", "sla_flags", "updated_at",
           "next_due_at", "sla_check_at", "resolve_breached_at")


class Slow(Exception):
    """This ticket goes through the per-ticket path."""


def usable() -> bool:
    """Every listener of recorded events and of moved requests has a bulk equivalent."""
    return signals.event_recorded.can_send_many() and signals.ticket_moved.can_send_many()


def due_rows(now: datetime, batch_size: int, failed: set[int]) -> list[SimpleNamespace]:
    """The next batch of due tickets as plain values, locked on PostgreSQL (SKIP LOCKED)."""
    t = Ticket.__table__
    query = (select(*_read_columns(db.engine.dialect.name), Category.__table__.c.sla_class)
             .join(Category.__table__, Category.__table__.c.id == t.c.category_id)
             .where(t.c.sla_check_at <= now).order_by(t.c.sla_check_at, t.c.id).limit(batch_size))
    if failed:
        query = query.where(t.c.id.not_in(failed))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=t)
    rows = []
    found = db.session.execute(query).all()
    if found and found[0].submitted_at.tzinfo is not timezone.utc:
        found = [_in_utc(row) for row in found]  # a session zone other than UTC (PGTZ, say)
    for row in found:
        ticket = SimpleNamespace(**dict(zip(READ, row)))
        # What clock.deadlines.sla_class and ._terms read.
        ticket.category = SimpleNamespace(id=ticket.category_id, sla_class=row[-1])
        ticket.read_version = ticket.version
        rows.append(ticket)
    return rows


def _in_utc(row) -> tuple:
    """Times in timezone.utc: arithmetic on a zone with daylight saving is wall-clock."""
    return tuple(value.astimezone(timezone.utc) if isinstance(value, datetime) else value
                 for value in row)


@functools.cache
def _read_columns(dialect: str) -> tuple:
    """READ's columns; on PostgreSQL the stored UTC times come back as timestamptz, so
    the driver hands out aware datetimes in C instead of UTCDateTime fixing each
    value in Python (13 per ticket). In datetime.timezone.utc, as the app's connections
    run with TimeZone=UTC (config._connect_args); due_rows converts them otherwise."""
    t = Ticket.__table__
    if dialect != "postgresql":
        return tuple(t.c[name] for name in READ)
    return tuple(func.timezone("UTC", t.c[name], type_=DateTime(timezone=True)).label(name)
                 if isinstance(t.c[name].type, UTCDateTime) else t.c[name] for name in READ)


class Units:
    """Units by id as plain values, loaded in bulk as batches need them (one sweep)."""

    COLUMNS = ("id", "kind", "parent_id", "community_id", "street_id", "county_id")

    def __init__(self):
        self.known: dict[int, SimpleNamespace] = {}
        self.notes: dict[tuple, tuple] = {}  # escalation notes, translated once per sweep
        self.texts: dict[tuple, tuple] = {}  # staff messages, likewise (marks.staff_notices)

    def load(self, ids) -> None:
        missing = {i for i in ids if i is not None and i not in self.known}
        while missing:
            table = Unit.__table__
            for row in db.session.execute(select(*(table.c[c] for c in self.COLUMNS))
                                          .where(any_of(table.c.id, missing))).all():
                self.known[row[0]] = SimpleNamespace(**dict(zip(self.COLUMNS, row)))
            found = [self.known[i] for i in missing if i in self.known]
            missing = {i for u in found for i in (u.parent_id, u.community_id, u.street_id,
                                                  u.county_id)
                       if i is not None and i not in self.known}

    def get(self, unit_id):
        return self.known.get(unit_id)


class Plan:
    """What one batch will write: events, staff messages, ticket rows, counts."""

    def __init__(self):
        self.tickets: list[SimpleNamespace] = []
        self.events: list[dict] = []
        self.event_tickets: list[SimpleNamespace] = []
        self.staff_notes: list[tuple] = []  # (ticket id, code, unit_id, at, kind, clock)
        self.texts: dict = {}  # the sweep's staff messages by language (Units.texts)
        self.departures: list[dict] = []  # stays left by an escalation (ticket_arrivals rows)
        self.moved: list[SimpleNamespace] = []  # escalated: another unit handles them now
        self.counts = Counter()
        self.idle: list[int] = []  # due by the cursor, nothing to do: not read again this sweep


def plan(tickets, now: datetime, ratio: float, units: Units, max_steps: int, bits: dict):
    """Replay each ticket's due marks; returns the plan and the ids left to the slow path."""
    units.load(i for t in tickets for i in (t.handling_unit_id, t.grid_id))
    result, slow = Plan(), []
    result.texts = units.texts
    for ticket in tickets:
        events, counts, notes, departures = [], Counter(), [], []
        try:
            _replay(ticket, now, ratio, units, max_steps, bits, events, counts, notes, departures)
        except Slow:
            slow.append(ticket.id)
            continue
        if not events:  # a cursor that came early: nothing due yet, left as it is
            result.idle.append(ticket.id)
            continue
        ticket.next_due_at = next_due(ticket)
        ticket.sla_check_at = next_check(ticket, ratio)
        result.tickets.append(ticket)
        result.events += events
        result.event_tickets += [ticket] * len(events)
        result.staff_notes += notes
        result.departures += departures
        if departures:
            result.moved.append(ticket)
        result.counts.update(counts)
    return result, slow


def _event(ticket, at, action, *, public, note="", from_state=None, to_state=None, unit_id=None):
    key = params = None
    if isinstance(note, Note):  # a system note, shown in the reader's language
        note = (note.key, note.params_json(), note.stored_text())
    if isinstance(note, tuple):  # a Note already rendered (Units.notes)
        key, params, note = note
    return {"ticket_id": ticket.id, "at": at, "actor_id": None, "action": action,
            "from_state": from_state, "to_state": to_state,
            "unit_id": ticket.handling_unit_id if unit_id is None else unit_id,
            "note": note, "note_key": key, "note_params": params, "public": public}


def _replay(ticket, now, ratio, units, max_steps, bits, events, counts, notes, departures) -> None:
    for _step in range(max_steps):
        marks = pending_marks(ticket, ratio)
        if not marks or marks[0][0] > now:
            break
        at, clock, kind = marks[0]
        at = on_timeline(ticket, at)
        if kind == "close":  # workqueue.actions.close
            events.append(_event(ticket, at, "close", public=True, from_state=ticket.state,
                                 to_state=State.CLOSED.value))
            ticket.state, ticket.closed_at, ticket.updated_at = State.CLOSED.value, at, at
            counts["closed"] += 1
            continue
        ticket.sla_flags = (ticket.sla_flags or 0) | bits[clock, kind]
        events.append(_event(ticket, at, "sla_warning" if kind == "warning" else "sla_breach",
                             public=False, note=Note("clock", clock=clock)))
        ticket.updated_at = at
        counts[f"{clock}_{kind}"] += 1
        supervisor = _supervisor(units, ticket.handling_unit_id) if kind == "breach" else None
        notes.append((ticket.id, ticket.tracking_code,
                      *notice_for(kind, clock, at, ticket.handling_unit_id, supervisor)))
        if kind == "breach" and clock in ("accept", "resolve"):
            _escalate(ticket, at, clock, units, events, counts, departures)
    else:
        log.warning("SLA sweep: ticket %s still has marks after %d steps", ticket.id, max_steps)


def _supervisor(units, unit_id):
    unit = units.get(unit_id)
    if unit is None:
        raise Slow()
    return rules.supervisor_id(unit)


def _escalate(ticket, at, clock, units, events, counts, departures) -> None:
    """workqueue.routing.escalate by the system, through the same rules: one tier up,
    none above the county."""
    if ticket.state not in OPEN:
        raise Slow()
    try:
        above = rules.escalation_tiers(ticket.tier)
    except ValueError:  # a tier outside grid→county
        raise Slow() from None
    if not above:
        return  # at the county already: flagged, nowhere higher to go
    target = above[0]
    unit = units.get(rules.unit_id_at(units.get(ticket.grid_id), target))
    if unit is None:
        raise Slow()
    key = (target, clock)
    if key not in units.notes:  # rendered once per sweep, not per escalation
        note = escalation_note(target, clock)
        units.notes[key] = (note.key, note.params_json(), note.stored_text())
    events.append(_event(ticket, at, "auto_escalate", public=True, note=units.notes[key],
                         from_state=ticket.state, to_state=State.ESCALATED.value,
                         unit_id=unit.id))
    tier = rules.tier_of(unit.kind)
    departures.append(departure(ticket, at, "auto_escalate"))
    ticket.state, ticket.updated_at = State.ESCALATED.value, at
    ticket.handling_unit_id, ticket.tier = unit.id, tier.value
    ticket.level = rules.level_after(ticket.level, tier)
    ticket.arrived_at, ticket.accepted_at, ticket.assignee_id = at, None, None
    start_accept_clock(ticket, at)
    counts["escalated"] += 1


def write(result: Plan) -> None:
    """Tickets first (a changed version aborts the batch before anything else is
    written), then events with their ids, their listeners, the staff messages."""
    if not result.tickets:
        return
    rows = [{"id": t.id, "version": t.read_version, **{name: getattr(t, name) for name in WRITTEN}}
            for t in result.tickets]
    update_versioned(Ticket.__table__, rows, WRITTEN)
    if result.departures:
        insert_rows(Arrival.__table__, result.departures)
    if result.moved:
        signals.ticket_moved.send_many(result.moved)
    ids = insert_rows(TicketEvent.__table__, result.events, returning_ids=True)
    signals.event_recorded.send_many([
        SimpleNamespace(id=event_id, ticket=ticket, **event)
        for event_id, ticket, event in zip(ids, result.event_tickets, result.events)])
    _tell_staff(result.staff_notes, result.texts)


def _tell_staff(notices, texts) -> None:
    """In-app messages for the units' staff (marks.staff_notices, as the per-ticket path)."""
    unit_ids = {n[2] for n in notices if n[2] is not None}
    if not unit_ids:
        return
    staff = defaultdict(list)
    users = User.__table__
    for row in db.session.execute(select(users.c.id, users.c.unit_id, users.c.locale).where(
            any_of(users.c.unit_id, unit_ids), users.c.active.is_(True),
            users.c.role != Role.RESIDENT)).all():
        staff[row.unit_id].append(row)
    rows = staff_notices(notices, lambda unit_id: staff.get(unit_id, ()), texts)
    if rows:
        insert_rows(Notification.__table__, rows)
        promise_delivery(db.session, rows[0]["created_at"])
