"""主动治理: a proactive task opened from a hotspot, done with a result, and the
residents of its requests told. Services take the actor and an explicit `now`, flush;
the view commits once."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from community.auth.models import User
from community.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.core.text import clean_text
from community.sms import services as sms
from community.tickets.models import Ticket
from community.tickets.services import record_event
from community.tickets.states import State
from community.core.timeutil import local_zone, to_local

from . import access
from .models import Hotspot, HotspotState, HotspotTicket, ProactiveTask, TaskState

PLAN_MAX = RESULT_MAX = 2000


def parse_day(value, field: str = "due_on") -> date:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationFailed(_("请按 年-月-日 填写日期。"), field=field) from None


def open_task(hotspot: Hotspot, actor: User, now: datetime, *, owner_id, due_on, plan: str = "") -> ProactiveTask:
    if not access.can_view(actor, hotspot):
        raise NotAllowed()
    if hotspot.task is not None or hotspot.state not in (HotspotState.OPEN, HotspotState.LAPSED):
        raise InvalidTransition(_("这个热点已经有主动治理任务了。"))
    if not access.can_open_task(actor, hotspot):
        raise NotAllowed()
    try:
        owner = db.session.get(User, int(owner_id))
    except (TypeError, ValueError):
        owner = None
    if not access.owner_allowed(actor, owner, hotspot):
        raise ValidationFailed(_("负责人须是本单位或下级单位的工作人员。"), field="owner")
    due = due_on if isinstance(due_on, date) else parse_day(due_on)
    if due < to_local(now).date():
        raise ValidationFailed(_("完成期限不能早于今天。"), field="due_on")
    task = ProactiveTask(hotspot=hotspot, unit_id=actor.unit_id, community_id=hotspot.community_id,
                         street_id=hotspot.street_id, county_id=hotspot.county_id, opened_by_id=actor.id,
                         owner_id=owner.id, plan=clean_text(plan, PLAN_MAX, "plan", _("治理方案")),
                         due_on=due, state=TaskState.OPEN, opened_at=now, result="", told=0)
    db.session.add(task)
    hotspot.state = HotspotState.TASKED
    db.session.flush()
    from community.workqueue.notifications import tell_staff

    if owner.id != actor.id:
        tell_staff([owner], None, now, lambda: _("您被指定为一项主动治理任务的负责人（热点 #%(id)d）。", id=hotspot.id))
    return task


def finish_task(task: ProactiveTask, actor: User, now: datetime, result: str) -> int:
    """Record the result, close the hotspot, and tell the residents of its requests
    (one notice per resident or contact phone, in the app and by text). Returns how
    many were told."""
    if task.state != TaskState.OPEN:
        raise InvalidTransition(_("这项任务已经完成了。"))
    if not access.can_finish(actor, task):
        raise NotAllowed()
    task.result = clean_text(result, PLAN_MAX, "result", _("治理结果"), required=True)
    task.state = TaskState.DONE
    task.done_at, task.done_by_id = now, actor.id
    task.done_on_time = to_local(now).date() <= task.due_on
    task.hotspot.state = HotspotState.DONE
    task.told = tell_residents(task, now)
    db.session.flush()
    return task.told


def tell_residents(task: ProactiveTask, now: datetime) -> int:
    tickets = db.session.scalars(
        select(Ticket).join(HotspotTicket, HotspotTicket.ticket_id == Ticket.id)
        .where(HotspotTicket.hotspot_id == task.hotspot_id).order_by(Ticket.id))
    told, reached = 0, set()
    for ticket in tickets:
        if ticket.anonymised_at is not None:
            continue  # nobody left to tell
        # The timeline shows it to whoever holds the tracking code (not a step: no version bump).
        record_event(ticket, "proactive_done", None, now, note=task.result, touch=False)
        who = ("user", ticket.resident_id) if ticket.resident_id else ("phone", ticket.contact_phone)
        if not who[1] or who in reached:
            continue
        reached.add(who)
        resident = ticket.resident
        sms.queue_notice(phone=ticket.contact_phone or "", code="PROACTIVE_DONE",
                         params={"code": ticket.tracking_code}, now=now,
                         locale=(resident.locale if resident else None) or "zh", note=task.result,
                         user_id=ticket.resident_id, ticket=ticket)
        told += 1
    return told


@dataclass
class TaskFigures:
    opened: int
    done: int
    done_on_time: int
    followed: int       # done long enough ago that their after-window is over
    repeats: int        # requests of the same category in the hotspot's grids, in the window after
    without_repeat: int  # followed tasks with no repeat at all

    @property
    def on_time_rate(self) -> float | None:
        return self.done_on_time / self.done if self.done else None


def figures(user, start: date, end: date, now: datetime) -> TaskFigures:
    """The proactive tasks in `user`'s scope: opened and done in [start, end] (local
    days), and the repeats in the COMMUNITY_HOTSPOT_AFTER_DAYS after each done one."""
    zone = local_zone()
    lo = datetime.combine(start, datetime.min.time(), zone)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    scope = access.scope_filter(user, ProactiveTask)
    opened = db.session.scalar(select(func.count(ProactiveTask.id)).where(
        scope, ProactiveTask.opened_at >= lo, ProactiveTask.opened_at < hi)) or 0
    done_tasks = list(db.session.scalars(select(ProactiveTask).where(
        scope, ProactiveTask.done_at >= lo, ProactiveTask.done_at < hi)))
    after = timedelta(days=int(current_app.config["COMMUNITY_HOTSPOT_AFTER_DAYS"]))
    followed = repeats = without = 0
    for task in done_tasks:
        count = repeat_count(task, after)
        repeats += count
        if task.done_at + after <= now:
            followed += 1
            without += count == 0
    return TaskFigures(opened=opened, done=len(done_tasks),
                       done_on_time=sum(1 for t in done_tasks if t.done_on_time),
                       followed=followed, repeats=repeats, without_repeat=without)


def repeat_count(task: ProactiveTask, after: timedelta) -> int:
    """Requests of the hotspot's category in its grids filed in the window after the
    task was done (its own requests excluded): did the work hold?"""
    if task.done_at is None:
        return 0
    grids = select(Ticket.grid_id).join(HotspotTicket, HotspotTicket.ticket_id == Ticket.id) \
        .where(HotspotTicket.hotspot_id == task.hotspot_id)
    return db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.category_id == task.hotspot.category_id, Ticket.grid_id.in_(grids),
        Ticket.submitted_at > task.done_at, Ticket.submitted_at <= task.done_at + after,
        Ticket.state.not_in((State.MERGED, State.CANCELLED)))) or 0
