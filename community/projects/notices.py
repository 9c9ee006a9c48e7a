"""What residents and staff hear about projects.

Residents verified in the community hear when deliberation opens, when a meeting is
set and when judging starts: the step writes an outbox row in its own transaction and
a worker writes their messages (in-app, and texted like request messages), so a Redis
or worker outage delays the news and never loses it. Judging comments and a 整改
case reach the office and the units above it as in-app messages.
"""
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from community.auth.models import Role, User
from community.core.bulkdb import insert_rows
from community.core.extensions import db
from community.outbox import emit, register_handler
from community.core.masking import mask_personal
from community.residency.services import verified_residents
from community.workqueue.models import Notification
from community.workqueue.notifications import promise_delivery, tell_staff

from .models import Project, ProjectEvent

KIND = "projects.notice"
STEPS = ("deliberate", "meeting_set", "complete")


def announce(project: Project, step: str, event: ProjectEvent, now: datetime) -> None:
    """Promise the residents' messages for this step (in the caller's transaction)."""
    emit(KIND, f"{KIND}:{project.id}:{event.id}", {"project_id": project.id, "event_id": event.id,
                                                   "step": step}, now=now)


def _text(project: Project, step: str, note: str) -> str:
    title = mask_personal(project.title)
    if step == "deliberate":
        return _("【民生小实事】《%(title)s》开始协商议事，请到“民生小实事”发表意见、表决支持或反对。",
                 title=title)
    if step == "meeting_set":
        return _("【民生小实事】《%(title)s》居民议事会议：%(note)s，欢迎参加。", title=title,
                 note=mask_personal(note))
    return _("【民生小实事】《%(title)s》已完成，请到“民生小实事”评判成效。", title=title)


def write_notices(payload: dict) -> int:
    """The outbox handler: one message per verified resident, in their language."""
    project = db.session.get(Project, payload["project_id"])
    event = db.session.get(ProjectEvent, payload["event_id"])
    if project is None or event is None or payload.get("step") not in STEPS:
        return 0
    texts, rows = {}, []
    for user in verified_residents(project.community_id):
        locale = user.locale or "zh"
        if locale not in texts:
            with force_locale(locale):
                texts[locale] = _text(project, payload["step"], event.note)
        rows.append({"user_id": user.id, "phone": user.phone or "", "project_id": project.id,
                     "text": texts[locale], "created_at": event.at, "send_attempts": 0})
    if rows:
        insert_rows(Notification.__table__, rows)
        promise_delivery(db.session, event.at)
    return len(rows)


def tell_units(project: Project, unit_ids, at: datetime, text) -> None:
    """In-app messages for the staff of these units (no text message), each in their language."""
    users = list(db.session.scalars(select(User).where(
        User.unit_id.in_([u for u in unit_ids if u]), User.active.is_(True),
        User.role != Role.RESIDENT)))
    tell_staff(users, None, at, text, project_id=project.id)


def install() -> None:
    register_handler(KIND, write_notices)
