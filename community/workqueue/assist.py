"""吹哨报到: the street (or county) summons county departments to a request."""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select, update

from community.areas.models import Unit, UnitKind
from community.auth.models import Role, User
from community.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.clock.deadlines import assist_deadline
from community.core.text import clean_text
from community.tickets import access
from community.tickets.models import Ticket
from community.tickets.notes import Note
from community.tickets.services import record_event
from community.tally.marks import mark_days
from community.tickets.states import State

from . import rules
from .models import AssistState, AssistTask
from .permissions import require_handler


def summon(ticket: Ticket, actor: User, now: datetime, department_ids: list[int], reason: str):
    """Give each named department an assist task with its own deadline."""
    require_handler(actor, ticket)
    rules.require(rules.summon(actor, ticket, now))
    reason = clean_text(reason, required=True, field="reason")
    departments = [db.session.get(Unit, i) for i in set(department_ids or [])]
    if not departments or any(d is None or d.kind != UnitKind.DEPARTMENT
                              or d.county_id != ticket.county_id for d in departments):
        raise ValidationFailed(_("请选择本区县的职能部门。"), field="departments")
    already = {t.department_id for t in open_tasks(ticket)}
    if already & {d.id for d in departments}:
        raise ValidationFailed(_("该部门已被召集，尚未完成。"), field="departments")
    due = assist_deadline(now)
    report_due = now + timedelta(hours=current_app.config["COMMUNITY_ASSIST_REPORT_HOURS"])
    tasks = [AssistTask(ticket=ticket, department=d, requested_by=actor, unit_id=actor.unit_id,
                        reason=reason, created_at=now, due_at=due.at, due_provisional=due.provisional,
                        report_due_at=report_due)
             for d in departments]
    db.session.add_all(tasks)
    db.session.flush()
    names = "、".join(d.name for d in departments)
    record_event(ticket, "summon", actor, now, note=Note("summoned", names=names, reason=reason))
    return tasks


def open_tasks(ticket: Ticket) -> list[AssistTask]:
    return list(db.session.scalars(select(AssistTask).where(
        AssistTask.ticket_id == ticket.id,
        AssistTask.state.in_([AssistState.OPEN, AssistState.ACCEPTED]))))


def tasks_of(ticket: Ticket) -> list[AssistTask]:
    return list(db.session.scalars(
        select(AssistTask).where(AssistTask.ticket_id == ticket.id).order_by(AssistTask.id)))


def _own_task(actor: User, task_id: int) -> AssistTask:
    task = db.session.get(AssistTask, task_id)
    if task is None or actor.role != Role.DEPARTMENT or task.department_id != actor.unit_id:
        raise NotAllowed()
    return task


def report_in(actor: User, task_id: int, now: datetime) -> AssistTask:
    """报到: the department acknowledges the summons."""
    task = _own_task(actor, task_id)
    if task.state != AssistState.OPEN:
        raise InvalidTransition()
    task.state = AssistState.ACCEPTED
    task.accepted_at = now
    record_event(task.ticket, "assist_accepted", actor, now, public=False,
                 note=task.department.name)
    _mark_missed_report(task, now)
    return task


def finish_assist(actor: User, task_id: int, now: datetime, report: str) -> AssistTask:
    task = _own_task(actor, task_id)
    if task.state not in (AssistState.OPEN, AssistState.ACCEPTED):
        raise InvalidTransition()
    task.report = clean_text(report, required=True, field="report")
    task.state = AssistState.DONE
    task.accepted_at = task.accepted_at or now
    task.done_at = now
    record_event(task.ticket, "assist_done", actor, now,
                 note=f"{task.department.name}：{task.report}")
    _mark_missed_report(task, now)
    return task


def _mark_missed_report(task: AssistTask, now: datetime) -> None:
    """A 报到 that came after its deadline counts on the deadline's day (stats): that day
    is recomputed too. So is the finishing deadline's, for a task finished late."""
    mark_days([due for due in (task.report_due_at, task.due_at) if due is not None and due <= now], now)


SCORES = (1, 2, 3, 4, 5)


def can_score(user, task: AssistTask) -> bool:
    """双向考核: the summoning unit's staff score a finished task's help, once. The
    department never scores itself (it is not the summoning unit)."""
    return (user.is_authenticated and user.is_staff and user.unit_id is not None
            and task.unit_id is not None and user.unit_id == task.unit_id
            and user.unit_id != task.department_id
            and task.state == AssistState.DONE and task.score is None)


def score_assist(actor: User, task_id: int, now: datetime, score, note: str = "") -> AssistTask:
    """The summoning unit's 1–5 score of a department's help, on the department's figures."""
    task = db.session.get(AssistTask, task_id)
    if task is None:
        raise NotAllowed()
    if task.score is not None:
        raise InvalidTransition(_("该协办已评分。"))
    if task.state != AssistState.DONE and task.unit_id == actor.unit_id:
        raise InvalidTransition(_("部门完成协办后才能评分。"))
    if not can_score(actor, task):
        raise NotAllowed()
    if score not in SCORES:
        raise ValidationFailed(_("请选择 1 到 5 分。"), field="score")
    task.score = score
    task.score_note = clean_text(note, field="note")
    task.scored_at = now
    task.scored_by = actor
    record_event(task.ticket, "assist_scored", actor, now, public=False,
                 note=Note("assist_scored", dept=task.department.name, score=score))
    return task


# A request that ends takes its unfinished summons with it: the departments owe
# nothing more, and their clocks (community.sla.side) stop.
ENDED = frozenset({State.CLOSED, State.CANCELLED, State.MERGED})


def cancel_open_tasks(ticket_ids) -> None:
    ids = list(set(ticket_ids))
    if ids:
        db.session.execute(
            update(AssistTask)
            .where(AssistTask.ticket_id.in_(ids),
                   AssistTask.state.in_([AssistState.OPEN, AssistState.ACCEPTED]))
            .values(state=AssistState.CANCELLED, check_at=None)
            .execution_options(synchronize_session="fetch"))


def _request_ended(event, **kwargs):
    if event.to_state in ENDED and event.ticket.id is not None:
        cancel_open_tasks([event.ticket.id])


def _requests_ended(events):
    """The same for the sweep's set-based closings (plain rows)."""
    cancel_open_tasks(e.ticket_id for e in events if e.to_state in ENDED)


def _assist_overdue(event, **kwargs):
    """A task left without 报到 until its deadline passed counts as a missed 报到 on that
    deadline's day: recomputed when the sweep records the task overdue (community.sla.side)."""
    if event.action == "assist_overdue" and event.ticket.id is not None:
        for task in open_tasks(event.ticket):
            _mark_missed_report(task, event.at)


def _assist_overdue_many(events):
    """The set-based sweep records request clocks only, never assist_overdue."""


def departments_of(county_id: int) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.DEPARTMENT, Unit.county_id == county_id, Unit.active.is_(True))
        .order_by(Unit.code)))


# A summoned department sees the request it was called to.
def _task_access(user, ticket) -> bool:
    return user.role == Role.DEPARTMENT and db.session.scalar(select(exists().where(
        AssistTask.ticket_id == ticket.id, AssistTask.department_id == user.unit_id))) or False


def _task_ticket_ids(user) -> list[int]:
    if user.role != Role.DEPARTMENT:
        return []
    return db.session.scalars(select(AssistTask.ticket_id).where(
        AssistTask.department_id == user.unit_id).distinct()).all()


access.register_extra_access(_task_access, _task_ticket_ids)
