"""The SLA sweep: record warnings and breaches, auto-escalate, close finished requests.

It reads only tickets whose stored cursor (sla_check_at, indexed) has come,
in batches. For each it replays the marks that fell due, in time order and
each at its own moment (a breach escalates at the deadline, not at the time of
the sweep), until the next mark lies in the future. So one sweep after three
days of downtime leaves what a sweep every minute would have left, and a
second sweep at the same `now` finds nothing to do.
"""
import logging
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import MANYTOONE, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from community.areas.models import Unit
from community.auth.models import Role, User
from community.core.bulkdb import update_versioned
from community.clock.deadlines import (
    ACCEPT_BREACHED,
    ACCEPT_WARNED,
    RESOLVE_BREACHED,
    RESOLVE_WARNED,
    RESPONSE_BREACHED,
    RESPONSE_WARNED,
    next_check,
    next_due,
    on_timeline,
    pending_marks,
    warn_ratio,
)
from community.core.errors import DomainError
from community.core.extensions import db
from community.core.jobs import run_alone
from community.tickets.models import Ticket
from community.tickets.notes import Note
from community.tickets.services import record_event
from community.workqueue.actions import close
from community.workqueue.escalation import supervisor_id
from community.workqueue.models import Notification
from community.workqueue.routing import escalate

from . import bulk, side
from .marks import escalation_reason, notice_for, staff_notices

log = logging.getLogger(__name__)

BATCH = 500
FAST_BATCH = 2000  # the set-based path: fewer round trips per due row
PARALLEL_BATCH = 250  # small enough that the threads take turns planning and writing
MAX_STEPS = 40  # marks per ticket per sweep: grid → county twice over is far fewer
LOCK_KEY = "community:sla:sweep:lock"
LAST_SWEEP_KEY = "community:sla:last_sweep"  # when the last sweep ended (unix time)
BITS = {("response", "warning"): RESPONSE_WARNED, ("response", "breach"): RESPONSE_BREACHED,
        ("accept", "warning"): ACCEPT_WARNED, ("accept", "breach"): ACCEPT_BREACHED,
        ("resolve", "warning"): RESOLVE_WARNED, ("resolve", "breach"): RESOLVE_BREACHED}


class _Batch:
    """What one batch needs besides the tickets: units and staff, loaded at once."""

    def __init__(self, tickets, ratio):
        self.ratio = ratio
        unit_ids = set()
        for t in tickets:
            unit_ids.update((t.handling_unit_id, t.grid_id, t.community_id, t.street_id, t.county_id))
        # Held here so the identity map keeps them: ticket.grid, .handling_unit and
        # unit.parent then resolve without a query.
        self.units = db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids))).all()
        parents = {u.parent_id for u in self.units if u.parent_id} - unit_ids
        if parents:
            self.units += db.session.scalars(select(Unit).where(Unit.id.in_(parents))).all()
        self._staff = None
        self.texts = {}  # staff messages by (language, kind, clock): marks.staff_notices
        self.unit_ids = unit_ids | parents
        people = {i for t in tickets for i in (t.resident_id, t.filed_by_id) if i is not None}
        self.people = db.session.scalars(select(User).where(User.id.in_(people))).all() \
            if people else []  # held: ticket.resident then needs no query

    def staff(self, unit_id):
        if self._staff is None:
            self._staff = defaultdict(list)
            for user in db.session.scalars(select(User).where(
                    User.unit_id.in_(self.unit_ids), User.active.is_(True),
                    User.role != Role.RESIDENT)):
                self._staff[user.unit_id].append(user)
        return self._staff.get(unit_id, [])


def sweep(now: datetime, batch_size: int = BATCH, fast: bool = True,
          threads: int | None = None) -> Counter:
    """Process every ticket whose next mark is due at `now`; commits per batch.

    `fast` takes the set-based path (community.sla.bulk) whenever every
    listener of recorded events has a bulk equivalent; tickets it cannot
    move, and whole batches that fail, go through the per-ticket path.
    On PostgreSQL the fast path runs in `threads` connections at once
    (COMMUNITY_SLA_SWEEP_THREADS): SKIP LOCKED hands each its own batches,
    and one plans in Python while the other's batch is being written."""
    if threads is None:
        threads = int(current_app.config.get("COMMUNITY_SLA_SWEEP_THREADS", 2))
    if (threads > 1 and fast and batch_size == BATCH and bulk.usable()
            and db.engine.dialect.name == "postgresql"):
        counts = _in_threads(now, threads)
    else:
        counts = _sweep_tickets(now, batch_size, fast)
    counts.update(side.sweep(now))  # 差评 cases and assist tasks (community.sla.side)
    return counts


def _in_threads(now: datetime, threads: int) -> Counter:
    app = current_app._get_current_object()
    results: list = [None] * threads
    units = bulk.Units()  # one cache for all: the threads' batches share grids and streets

    def share(n):
        with app.app_context():  # its own session and connection
            try:
                results[n] = _sweep_tickets(now, PARALLEL_BATCH, True, units)
            except BaseException as exc:  # noqa: B036  (re-raised below, in the caller)
                results[n] = exc
            finally:
                db.session.remove()

    helpers = [threading.Thread(target=share, args=(n,), name=f"sla-sweep-{n}")
               for n in range(1, threads)]
    for helper in helpers:
        helper.start()
    try:
        results[0] = _sweep_tickets(now, PARALLEL_BATCH, True, units)
    finally:
        for helper in helpers:
            helper.join()
    counts = Counter()
    for result in results:
        if isinstance(result, BaseException):
            raise result
        counts.update(result)
    return counts


def _sweep_tickets(now: datetime, batch_size: int, fast: bool,
                   units: "bulk.Units | None" = None) -> Counter:
    counts = Counter()
    ratio = warn_ratio()
    failed: set[int] = set()  # not read again in this sweep
    units = units if units is not None else bulk.Units()
    while True:
        quick = fast and bulk.usable()
        size = FAST_BATCH if quick and batch_size == BATCH else batch_size
        if quick:
            rows = bulk.due_rows(now, size, failed)
            ids = [row.id for row in rows]
        else:
            tickets = _due_tickets(now, batch_size, failed)
            ids = [t.id for t in tickets]
        if not ids:
            break
        try:
            step = Counter()
            if quick:
                result, slow = bulk.plan(rows, now, ratio, units, MAX_STEPS, BITS)
                bulk.write(result)
                step.update(result.counts)
                failed.update(result.idle + slow)  # done with for this sweep, whatever follows
                tickets = list(db.session.scalars(
                    select(Ticket).where(Ticket.id.in_(slow)).order_by(Ticket.sla_check_at, Ticket.id)
                    .options(selectinload(Ticket.category)))) if slow else []
            if tickets:
                batch = _Batch(tickets, ratio)
                with db.session.no_autoflush:  # one flush per batch, at commit
                    for ticket in tickets:
                        _catch_up(ticket, now, batch, step)
                _write_back(tickets)
            db.session.commit()
            counts.update(step)
        except Exception:
            db.session.rollback()
            log.exception("SLA sweep batch failed; retrying its tickets one by one")
            counts.update(_one_by_one(ids, now, ratio, failed))
        counts["tickets"] += len(ids)
        if len(ids) < size:
            break
    return counts


def _due_tickets(now, batch_size, failed) -> list[Ticket]:
    query = (select(Ticket).where(Ticket.sla_check_at <= now)
             .order_by(Ticket.sla_check_at, Ticket.id).limit(batch_size)
             .options(selectinload(Ticket.category)))
    if failed:
        query = query.where(Ticket.id.not_in(failed))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Ticket)
    return list(db.session.scalars(query))


def _write_back(tickets) -> None:
    """Write the batch's changed tickets as the set-based path does (bulkdb.update_versioned:
    one statement, keyed by id and read version, then bumped) instead of the ORM's one
    statement per versioned row. So a handler's form opened before the sweep still
    fails its optimistic lock; a lost race fails the batch, which is then retried
    ticket by ticket through the ORM. Written: the columns any ticket of the batch changed."""
    table = Ticket.__table__
    mapper = sa_inspect(Ticket)
    changed_tickets, columns = [], {"next_due_at", "sla_check_at"}
    for ticket in tickets:
        state = sa_inspect(ticket)
        if not state.modified:
            continue
        changed = [rel for rel in mapper.relationships if rel.direction is MANYTOONE
                   and state.attrs[rel.key].history.has_changes()]
        for rel in changed:  # objects set in memory: copy their keys
            target = getattr(ticket, rel.key)
            for local, remote in rel.local_remote_pairs:
                setattr(ticket, local.key, None if target is None else getattr(target, remote.key))
        ticket.next_due_at = next_due(ticket)
        ticket.sla_check_at = next_check(ticket)
        columns.update(c.key for c in table.columns if c.key not in ("id", "version")
                       and state.attrs[c.key].history.has_changes())
        changed_tickets.append((ticket, state.committed_state.get("version", ticket.version),
                                changed))
    if not changed_tickets:
        return
    columns = tuple(sorted(columns))
    rows = [{"id": t.id, "version": version, **{c: getattr(t, c) for c in columns}}
            for t, version, _rels in changed_tickets]
    # Written below, not by the ORM's flush (the statement's autoflush must find them
    # clean): the objects now hold committed values.
    for ticket, version, changed in changed_tickets:
        for c in table.columns:
            set_committed_value(ticket, c.key, getattr(ticket, c.key))
        set_committed_value(ticket, "version", version + 1)
        for rel in changed:
            set_committed_value(ticket, rel.key, getattr(ticket, rel.key))
    update_versioned(table, rows, columns)


def _one_by_one(ids, now, ratio, failed) -> Counter:
    counts = Counter()
    for ticket_id in ids:
        ticket = db.session.get(Ticket, ticket_id)
        try:
            step = Counter()
            with db.session.no_autoflush:
                _catch_up(ticket, now, _Batch([ticket], ratio), step)
            db.session.commit()
            counts.update(step)
        except Exception:
            db.session.rollback()
            log.exception("SLA sweep: ticket %s failed", ticket_id)
            failed.add(ticket_id)
            counts["errors"] += 1
    return counts


def _catch_up(ticket: Ticket, now: datetime, batch: _Batch, counts: Counter) -> None:
    notices = []  # every warning and breach recorded, in order (marks.notice_for)
    for _step in range(MAX_STEPS):
        marks = pending_marks(ticket, batch.ratio)
        if not marks or marks[0][0] > now:
            break
        at, clock, kind = marks[0]
        _apply(ticket, at, clock, kind, batch, counts, notices)
    else:
        log.warning("SLA sweep: ticket %s still has marks after %d steps", ticket.id, MAX_STEPS)
    db.session.add_all(Notification(**row) for row in staff_notices(
        [(ticket.id, ticket.tracking_code, *notice) for notice in notices], batch.staff,
        batch.texts))


def _apply(ticket, at, clock, kind, batch, counts, notices) -> None:
    at = on_timeline(ticket, at)
    if kind == "close":
        close(ticket, at)
        counts["closed"] += 1
        return
    ticket.sla_flags = (ticket.sla_flags or 0) | BITS[clock, kind]
    action = "sla_warning" if kind == "warning" else "sla_breach"
    record_event(ticket, action, None, at, public=False, note=Note("clock", clock=clock))
    counts[f"{clock}_{kind}"] += 1
    supervisor = supervisor_id(ticket.handling_unit) if kind == "breach" else None
    notices.append(notice_for(kind, clock, at, ticket.handling_unit_id, supervisor))
    if kind == "breach" and clock in ("accept", "resolve"):
        try:
            escalate(ticket, None, at, escalation_reason(clock), action="auto_escalate")
            counts["escalated"] += 1
        except DomainError:
            pass  # at the county (or a department) already: flagged, nowhere higher to go


def sweep_locked(now: datetime, redis=None, ttl: int = 600) -> dict:
    """The sweep, one at a time across workers (Redis SET NX EX); without Redis it
    still runs (PostgreSQL's SKIP LOCKED keeps two sweeps off the same rows)."""
    from flask import current_app

    result = run_alone(LOCK_KEY, now.isoformat(), lambda: dict(sweep(now)), redis=redis, ttl=ttl)
    if result is None:
        return {"skipped": 1}
    try:  # its age is a metric (community/web/ops.py): a sweep that stopped coming shows
        (redis or current_app.extensions["redis"]).set(LAST_SWEEP_KEY, str(time.time()))
    except RedisError:
        pass
    return result
