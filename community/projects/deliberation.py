"""协商议事 online: the thread, support/oppose votes, the resident meeting and its minutes,
and the community's thresholds that decide whether a proposal passed."""
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.auth.models import User
from community.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from community.extensions import db
from community.tickets.photos import clean_photo, upload_dir

from . import access
from .models import CommunityProjectSettings, Meeting, Project, ProjectPost, Vote
from .services import _clean_text, record_event
from .states import MeetingDecision, ProjectState, VoteChoice

P = ProjectState
DISCUSSION_OPEN = frozenset({P.PROPOSED, P.DELIBERATING})


# -- thresholds (per community, defaults from configuration) ---------------------------

@dataclass
class Thresholds:
    support_min: int
    meeting_share: float
    custom: bool = False


def thresholds(community_id: int) -> Thresholds:
    row = db.session.get(CommunityProjectSettings, community_id)
    if row is not None:
        return Thresholds(row.support_min, row.meeting_share, custom=True)
    config = current_app.config
    return Thresholds(int(config["COMMUNITY_PROJECT_SUPPORT_MIN"]),
                      float(config["COMMUNITY_PROJECT_MEETING_SHARE"]))


def set_thresholds(community_id: int, actor: User, now: datetime, *, support_min,
                   meeting_share) -> CommunityProjectSettings:
    """The community office sets its own thresholds."""
    if not (actor.role == "community" and actor.unit_id == community_id):
        raise NotAllowed()
    try:
        support_min, share = int(support_min), float(meeting_share)
    except (TypeError, ValueError):
        raise ValidationFailed(_("请填写数字。"), field="support_min") from None
    if not 0 <= support_min <= 100000:
        raise ValidationFailed(_("支持人数须在 0 到 100000 之间。"), field="support_min")
    if not 0 < share <= 1:
        raise ValidationFailed(_("会议赞成比例须大于 0、不超过 1（如 0.5 表示半数）。"),
                               field="meeting_share")
    row = db.session.get(CommunityProjectSettings, community_id)
    if row is None:
        row = CommunityProjectSettings(community_id=community_id)
        db.session.add(row)
    row.support_min, row.meeting_share = support_min, share
    row.updated_by_id, row.updated_at = actor.id, now
    return row


# -- thread and votes ----------------------------------------------------------------

def post(project: Project, actor: User, now: datetime, body: str) -> ProjectPost:
    """Residents of the community and its office discuss while the proposal is open."""
    if not (access.is_member(actor, project) or access.can_manage(actor, project)):
        raise NotAllowed(_("只有本社区居民和社区工作人员可以参与议事。"))
    if project.state not in DISCUSSION_OPEN:
        raise InvalidTransition(_("议事已结束。"))
    body = _clean_text(body, current_app.config["COMMUNITY_PROJECT_POST_MAX"], "body", _("发言内容"))
    item = ProjectPost(project_id=project.id, author_id=actor.id, body=body, created_at=now)
    db.session.add(item)
    db.session.flush()
    return item


def thread(project: Project) -> list[ProjectPost]:
    return list(db.session.scalars(select(ProjectPost).where(ProjectPost.project_id == project.id)
                                   .order_by(ProjectPost.created_at, ProjectPost.id)))


def vote(project: Project, actor: User, now: datetime, choice: str) -> Vote:
    """Support or oppose, once per resident of the community, while deliberating."""
    if not access.is_member(actor, project):
        raise NotAllowed(_("只有本社区居民可以表决。"))
    if project.state != P.DELIBERATING:
        raise InvalidTransition(_("项目不在议事阶段，不能表决。"))
    if choice not in VoteChoice.__members__.values():
        raise ValidationFailed(_("请选择支持或反对。"), field="choice")
    if my_vote(project, actor) is not None:
        raise Conflict(_("您已经表过态了，每人只能表决一次。"))
    item = Vote(project_id=project.id, user_id=actor.id, choice=choice, at=now)
    db.session.add(item)
    try:
        db.session.flush()  # the unique constraint settles a double tap; the view rolls back
    except IntegrityError:
        raise Conflict(_("您已经表过态了，每人只能表决一次。")) from None
    return item


def my_vote(project: Project, user) -> Vote | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Vote).where(Vote.project_id == project.id,
                                                Vote.user_id == user.id))


def vote_counts(project_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Vote.choice, func.count()).where(Vote.project_id == project_id)
                              .group_by(Vote.choice))
    counts = {c.value: 0 for c in VoteChoice}
    counts.update({choice: n for choice, n in rows})
    return counts


# -- the resident meeting ----------------------------------------------------------------

@dataclass
class Minutes:
    data: bytes
    content_type: str
    extension: str


def read_minutes(stream, filename: str = "") -> Minutes:
    """A PDF or a photo of the minutes, judged by its bytes, never by its name or browser type."""
    limit = current_app.config["COMMUNITY_MINUTES_MAX_BYTES"]
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise ValidationFailed(_("会议纪要文件不能超过 %(mb)d MB。", mb=limit // (1024 * 1024)),
                               field="minutes")
    if raw.startswith(b"%PDF-") and b"%%EOF" in raw[-1024:]:
        return Minutes(raw, "application/pdf", "pdf")
    try:
        photo = clean_photo(io.BytesIO(raw), filename)  # re-encoded: EXIF and trailers dropped
    except ValidationFailed:
        raise ValidationFailed(_("会议纪要须为 PDF 或 JPEG、PNG、WebP 图片。"), field="minutes") from None
    return Minutes(photo.data, photo.content_type, photo.extension)


def minutes_dir() -> Path:
    path = upload_dir() / "minutes"
    path.mkdir(parents=True, exist_ok=True)
    return path


def record_meeting(project: Project, actor: User, now: datetime, *, held_on: date | None,
                   attendees, supporters, decision: str, summary: str = "",
                   minutes: Minutes | None = None) -> Meeting:
    """The community office records the meeting; the file is written last, with a random name."""
    access.require(access.can_manage, actor, project)
    if project.state != P.DELIBERATING:
        raise InvalidTransition(_("项目不在议事阶段，不能登记议事会议。"))
    if held_on is None or held_on > now.date():
        raise ValidationFailed(_("请填写会议日期（不能晚于今天）。"), field="held_on")
    try:
        attendees, supporters = int(attendees), int(supporters)
    except (TypeError, ValueError):
        raise ValidationFailed(_("请填写参会人数和赞成人数。"), field="attendees") from None
    if attendees <= 0 or not 0 <= supporters <= attendees:
        raise ValidationFailed(_("参会人数须大于 0，赞成人数不能超过参会人数。"), field="supporters")
    if decision not in MeetingDecision.__members__.values():
        raise ValidationFailed(_("请选择会议决定。"), field="decision")
    meeting = Meeting(project_id=project.id, held_on=held_on, attendees=attendees,
                      supporters=supporters, decision=decision,
                      summary=_clean_text(summary, 2000, "summary", _("会议摘要"), required=False),
                      recorded_by_id=actor.id, created_at=now)
    if minutes is not None:
        meeting.minutes_name = f"{secrets.token_hex(16)}.{minutes.extension}"
        meeting.minutes_type, meeting.minutes_size = minutes.content_type, len(minutes.data)
    db.session.add(meeting)
    record_event(project, "meeting", actor, now,
                 note=_("%(date)s 议事会：参会 %(a)d 人，赞成 %(s)d 人",
                        date=held_on.isoformat(), a=attendees, s=supporters))
    db.session.flush()  # the row first; if the commit fails, the view removes the file
    if minutes is not None:
        (minutes_dir() / meeting.minutes_name).write_bytes(minutes.data)
    return meeting


def discard_minutes_file(meeting: Meeting | None) -> None:
    """After a failed commit: remove the file of a meeting that was never kept."""
    if meeting is not None and meeting.minutes_name:
        (minutes_dir() / meeting.minutes_name).unlink(missing_ok=True)


def minutes_path(meeting: Meeting) -> Path | None:
    if not meeting.minutes_name:
        return None
    path = minutes_dir() / meeting.minutes_name
    return path if path.exists() else None


@dataclass
class Result:
    passed: bool
    reason: str
    support: int
    needed: int
    meeting: Meeting | None


def deliberation_result(project: Project) -> Result:
    """Passed: enough residents supported online, and the latest meeting agreed by the share."""
    rules = thresholds(project.community_id)
    support = vote_counts(project.id)[VoteChoice.SUPPORT]
    meeting = db.session.scalar(select(Meeting).where(Meeting.project_id == project.id)
                                .order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(1))
    if support < rules.support_min:
        return Result(False, _("线上支持人数 %(n)d，未达到本社区要求的 %(m)d 人。",
                               n=support, m=rules.support_min), support, rules.support_min, meeting)
    if meeting is None:
        return Result(False, _("还没有登记居民议事会议。"), support, rules.support_min, None)
    if (meeting.decision != MeetingDecision.AGREED
            or meeting.supporters < rules.meeting_share * meeting.attendees):
        return Result(False, _("议事会议未按本社区规定的比例（%(p)d%%）通过。",
                               p=round(rules.meeting_share * 100)), support, rules.support_min, meeting)
    return Result(True, "", support, rules.support_min, meeting)
