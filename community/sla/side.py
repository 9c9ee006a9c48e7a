"""The sweep's other clocks: 差评 rectification cases and 吹哨报到 assist tasks.

DOMAIN.md "Clocks": a case has 1 working day to start (the callback) and 5 to
close, and a breach goes to the street head; a summoned department's task has
its own deadline. The guarantees are the request sweep's (community.sla.sweep):
only rows whose cursor (check_at, indexed) has come are read, in batches,
locked with SKIP LOCKED on PostgreSQL; each warning and breach is applied at
its own moment and remembered in sla_flags, so one sweep after days of downtime
leaves the rows a sweep every minute would have, and a second sweep at the
same `now` does nothing.

A mark counts if its clock was still running at the mark's moment: a callback
recorded after the deadline but before any sweep saw it pass still leaves the
breach on record, as a sweep every minute would have.
"""
import logging
from collections import Counter, defaultdict
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community.auth.models import Role, User
from community.clock.deadlines import _warn_at, warn_ratio
from community.core.extensions import db
from community.ratings.models import CaseState, RectificationCase
from community.tickets.notes import Note
from community.tickets.services import record_event
from community.workqueue.models import AssistState, AssistTask
from community.workqueue.notifications import tell_staff

log = logging.getLogger(__name__)

BATCH = 500
MAX_STEPS = 8  # a case has four marks, a task two

# Bits of RectificationCase.sla_flags and AssistTask.sla_flags.
START_WARNED, START_BREACHED, CLOSE_WARNED, CLOSE_BREACHED = 1, 2, 4, 8
ASSIST_WARNED, ASSIST_BREACHED = 1, 2


def _case_clocks(case):
    """(name, start, due, stopped at, warned bit, breached bit) of each clock."""
    closed = case.closed_at
    if closed is None and case.state == CaseState.CLOSED:
        closed = case.opened_at  # no closing time on record: nothing more is owed
    return [("start", case.opened_at, case.start_due_at, case.callback_at,
             START_WARNED, START_BREACHED),
            ("close", case.opened_at, case.close_due_at, closed, CLOSE_WARNED, CLOSE_BREACHED)]


def _task_clocks(task):
    if task.state == AssistState.CANCELLED:
        return []  # no cancel time is recorded: nothing is owed after the request ended
    stopped = (task.done_at or task.created_at) if task.state == AssistState.DONE else None
    return [("assist", task.created_at, task.due_at, stopped, ASSIST_WARNED, ASSIST_BREACHED)]


def _clocks(row):
    return _case_clocks(row) if isinstance(row, RectificationCase) else _task_clocks(row)


def pending_marks(row, ratio: float | None = None):
    """The marks not yet recorded, as (at, clock, kind), earliest first."""
    ratio = warn_ratio() if ratio is None else ratio
    flags = row.sla_flags or 0
    marks = []
    for name, start, due, stopped, warned, breached in _clocks(row):
        if due is None:
            continue
        if not flags & warned:
            at, kind = _warn_at(start, due, ratio), "warning"
        elif not flags & breached:
            at, kind = due, "breach"
        else:
            continue
        if stopped is None or stopped > at:  # stopped at the deadline itself is in time
            marks.append((at, name, kind))
    return sorted(marks, key=lambda m: m[0])


def next_check(row, ratio: float | None = None) -> datetime | None:
    marks = pending_marks(row, ratio)
    return marks[0][0] if marks else None


def _running_at(row, clock, now) -> bool:
    """Still running and not yet due at `now`: a warning can still help."""
    for name, _start, due, stopped, _warned, _breached in _clocks(row):
        if name == clock:
            return stopped is None and due > now
    return False


def _refresh_check_at(session, flush_context, instances):
    """Whatever changed a case or a task (callback, closing, 报到, done), its
    cursor follows, as Ticket.sla_check_at does (community.sla.wiring)."""
    ratio = None
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, (RectificationCase, AssistTask)):
            ratio = warn_ratio() if ratio is None else ratio
            obj.check_at = next_check(obj, ratio)


class _Side:
    """One kind of row the sweep watches."""

    def __init__(self, model, options, prefix):
        self.model, self.options, self.prefix = model, options, prefix

    def due(self, now, size, skip):
        query = (select(self.model).where(self.model.check_at <= now)
                 .order_by(self.model.check_at, self.model.id).limit(size).options(*self.options))
        if skip:
            query = query.where(self.model.id.not_in(skip))
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=self.model)
        return list(db.session.scalars(query))


CASES = _Side(RectificationCase, [selectinload(RectificationCase.ticket)], "case_")
TASKS = _Side(AssistTask, [selectinload(AssistTask.ticket), selectinload(AssistTask.department),
                           selectinload(AssistTask.requested_by)], "")


def sweep(now: datetime, batch_size: int = BATCH) -> Counter:
    """Every case and assist task whose next mark is due at `now`; commits per batch."""
    counts = Counter()
    ratio = warn_ratio()
    for side in (CASES, TASKS):
        skip: set[int] = set()  # failed, or (oddly) still due: not read again this sweep
        while True:
            rows = side.due(now, batch_size, skip)
            if not rows:
                break
            ids = [row.id for row in rows]
            try:
                step = Counter()
                staff = _Staff(rows)
                with db.session.no_autoflush:
                    for row in rows:
                        _catch_up(row, side, now, ratio, staff, step)
                skip.update(row.id for row in rows if row.check_at is not None and row.check_at <= now)
                db.session.commit()
                counts.update(step)
            except Exception:
                db.session.rollback()
                log.exception("SLA side sweep batch failed; retrying its rows one by one")
                counts.update(_one_by_one(side, ids, now, ratio, skip))
            counts["cases" if side is CASES else "assist_tasks"] += len(ids)
            if len(ids) < batch_size:
                break
    from community.projects.rectify import (
        sweep as sweep_project_cases,  # 民生小实事 整改 clocks
    )
    counts.update(sweep_project_cases(now))
    return counts


def _one_by_one(side, ids, now, ratio, skip) -> Counter:
    counts = Counter()
    for row_id in ids:
        row = db.session.get(side.model, row_id)
        try:
            step = Counter()
            with db.session.no_autoflush:
                _catch_up(row, side, now, ratio, _Staff([row]), step)
            db.session.commit()
            counts.update(step)
        except Exception:
            db.session.rollback()
            log.exception("SLA side sweep: %s %s failed", side.model.__tablename__, row_id)
            counts["errors"] += 1
        skip.add(row_id)
    return counts


def _catch_up(row, side, now, ratio, staff, counts) -> None:
    news = {}  # staff hear of the latest warning and breach only, not of a replayed past
    for _step in range(MAX_STEPS):
        marks = pending_marks(row, ratio)
        if not marks or marks[0][0] > now:
            break
        at, clock, kind = marks[0]
        _apply(row, at, clock, kind)
        counts[f"{side.prefix}{clock}_{kind}"] += 1
        news[kind] = (at, clock)
    row.check_at = next_check(row, ratio)
    if "warning" in news and _running_at(row, news["warning"][1], now):
        _tell(row, "warning", *news["warning"], staff)
    if "breach" in news:
        _tell(row, "breach", *news["breach"], staff)


def _apply(row, at, clock, kind) -> None:
    bits = {("start", "warning"): START_WARNED, ("start", "breach"): START_BREACHED,
            ("close", "warning"): CLOSE_WARNED, ("close", "breach"): CLOSE_BREACHED,
            ("assist", "warning"): ASSIST_WARNED, ("assist", "breach"): ASSIST_BREACHED}
    row.sla_flags = (row.sla_flags or 0) | bits[clock, kind]
    if kind != "breach":
        return
    # An internal note, not a step of the request: the ticket row stays as it was.
    if clock == "assist":
        record_event(row.ticket, "assist_overdue", None, at, public=False,
                     note=row.department.name, touch=False)
    else:
        record_event(row.ticket, "case_overdue", None, at, public=False, note=Note("clock", clock=clock), touch=False)


def _audience(row, kind) -> list[int]:
    """Units told: a case's community is warned and its street (the street head)
    hears of the breach; a department is warned, and on a breach the unit that
    summoned it hears too."""
    if isinstance(row, RectificationCase):
        return [row.community_id] if kind == "warning" else [row.street_id]
    units = [row.department_id]
    if kind == "breach":
        summoner = row.requested_by.unit_id if row.requested_by is not None else None
        units.append(summoner or row.ticket.handling_unit_id)
    return units


class _Staff:
    """The active staff of every unit a batch may tell, loaded at once when first needed."""

    def __init__(self, rows):
        self.unit_ids = set()
        for row in rows:
            for kind in ("warning", "breach"):
                self.unit_ids.update(_audience(row, kind))
        self._by_unit = None

    def of(self, unit_ids) -> list[User]:
        if self._by_unit is None:
            self._by_unit = defaultdict(list)
            for user in db.session.scalars(select(User).where(
                    User.unit_id.in_(self.unit_ids - {None}), User.active.is_(True),
                    User.role != Role.RESIDENT)):
                self._by_unit[user.unit_id].append(user)
        seen, users = set(), []
        for unit_id in unit_ids:
            for user in self._by_unit.get(unit_id, []):
                if user.id not in seen:
                    seen.add(user.id)
                    users.append(user)
        return users


def _text(row, kind, clock) -> str:
    code = row.ticket.tracking_code
    if clock == "assist":
        name = row.department.name
        if kind == "warning":
            return _("【协办预警】%(dept)s 在诉求 %(code)s 的协办期限将到。", dept=name, code=code)
        return _("【协办超时】%(dept)s 在诉求 %(code)s 的协办已超过期限。", dept=name, code=code)
    if clock == "start":
        if kind == "warning":
            return _("【整改预警】诉求 %(code)s 的差评整改回访期限将到。", code=code)
        return _("【整改超时】诉求 %(code)s 的差评整改回访已超过期限。", code=code)
    if kind == "warning":
        return _("【整改预警】诉求 %(code)s 的差评整改结案期限将到。", code=code)
    return _("【整改超时】诉求 %(code)s 的差评整改结案已超过期限。", code=code)


def _tell(row, kind, at, clock, staff) -> None:
    """In-app messages for staff, dated at the mark."""
    tell_staff(staff.of(_audience(row, kind)), row.ticket_id, at, lambda: _text(row, kind, clock))
