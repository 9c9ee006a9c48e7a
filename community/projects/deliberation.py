"""协商议事 online: the thread, support/oppose votes, the resident meeting and its minutes,
and the tally that decides whether a proposal passed (by the street's rules, community.
projects.rules): the residents' own votes, never figures typed into a meeting record."""
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
from community.core.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.core.text import clean_text
from community.tickets.photos import clean_photo, upload_dir

from . import access
from .models import Meeting, Project, ProjectPost, Vote
from .rules import for_project
from .services import record_event
from .states import MeetingDecision, ProjectState, VoteChoice

P = ProjectState
DISCUSSION_OPEN = frozenset({P.PROPOSED, P.DELIBERATING})


# -- thread and votes ----------------------------------------------------------------

def post(project: Project, actor: User, now: datetime, body: str) -> ProjectPost:
    """Verified residents of the community and its office discuss while the proposal is open."""
    if not (access.is_member(actor, project) or access.can_manage(actor, project)):
        raise NotAllowed(_("只有经核实的本社区居民和社区工作人员可以参与议事。"))
    if project.state not in DISCUSSION_OPEN or project.hidden_at is not None:
        raise InvalidTransition(_("议事已结束。"))
    body = clean_text(body, current_app.config["COMMUNITY_PROJECT_POST_MAX"], "body", _("发言内容"), required=True)
    item = ProjectPost(project_id=project.id, author_id=actor.id, body=body, created_at=now)
    db.session.add(item)
    db.session.flush()
    return item


def thread(project: Project) -> list[ProjectPost]:
    return list(db.session.scalars(select(ProjectPost).where(ProjectPost.project_id == project.id)
                                   .order_by(ProjectPost.created_at, ProjectPost.id)))


def hide_post(project: Project, actor: User, now: datetime, post_id, reason: str) -> ProjectPost:
    """The office hides a post (personal data, abuse); the reason is shown in its place."""
    access.require(access.can_manage, actor, project)
    item = db.session.get(ProjectPost, post_id) if post_id else None
    if item is None or item.project_id != project.id:
        raise NotFound()
    if item.hidden_at is not None:
        raise Conflict(_("这条发言已经隐藏了。"))
    item.hidden_reason = clean_text(reason, 200, "reason", _("隐藏理由"), required=True)
    item.hidden_at, item.hidden_by_id = now, actor.id
    record_event(project, "hide_post", actor, now, note=item.hidden_reason)
    db.session.flush()
    return item


def vote(project: Project, actor: User, now: datetime, choice: str) -> Vote:
    """Support or oppose, once per resident of the community, while deliberating."""
    if not access.is_member(actor, project):
        raise NotAllowed(_("只有经核实的本社区居民可以表决。"))
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


def announce_meeting(project: Project, actor: User, now: datetime, *, when: str,
                     place: str) -> None:
    """The office sets the residents' meeting; the residents hear of it (community.projects.notices)."""
    from .notices import announce

    access.require(access.can_manage, actor, project)
    if project.state != P.DELIBERATING:
        raise InvalidTransition(_("项目不在议事阶段，不能安排议事会议。"))
    when = clean_text(when, 40, "when", _("会议时间"), required=True)
    place = clean_text(place, 100, "place", _("会议地点"), required=True)
    event = record_event(project, "meeting_set", actor, now, note=f"{when} · {place}")
    db.session.flush()
    announce(project, "meeting_set", event, now)


def _count(value, field: str) -> int:
    try:
        number = int(str(value if value is not None else "").strip())
    except ValueError:
        raise ValidationFailed(_("请填写人数（整数）。"), field=field) from None
    if not 0 <= number <= 100000:
        raise ValidationFailed(_("请填写人数（整数）。"), field=field)
    return number


def record_meeting(project: Project, actor: User, now: datetime, *, held_on: date | None,
                   attendees, supporters, opposers=0, decision: str, signed_name: str = "",
                   summary: str = "", minutes: Minutes | None = None) -> Meeting:
    """The office records the meeting, signed by the recorder. Its counts stand beside
    the residents' votes (published with them) and never replace them; a meeting that
    did not agree holds the proposal back. The file is written last, with a random name."""
    access.require(access.can_manage, actor, project)
    if project.state != P.DELIBERATING:
        raise InvalidTransition(_("项目不在议事阶段，不能登记议事会议。"))
    if held_on is None or held_on > now.date():
        raise ValidationFailed(_("请填写会议日期（不能晚于今天）。"), field="held_on")
    attendees = _count(attendees, "attendees")
    supporters, opposers = _count(supporters, "supporters"), _count(opposers or 0, "opposers")
    if attendees <= 0 or supporters + opposers > attendees:
        raise ValidationFailed(_("参会人数须大于 0，赞成和反对人数之和不能超过参会人数。"),
                               field="supporters")
    if decision not in MeetingDecision.__members__.values():
        raise ValidationFailed(_("请选择会议决定。"), field="decision")
    signed_name = clean_text(signed_name, 64, "signed_name", _("记录人签名"), required=True)
    meeting = Meeting(project_id=project.id, held_on=held_on, attendees=attendees,
                      supporters=supporters, opposers=opposers, decision=decision,
                      signed_name=signed_name,
                      summary=clean_text(summary, 2000, "summary", _("会议摘要"), required=False),
                      recorded_by_id=actor.id, created_at=now)
    if minutes is not None:
        meeting.minutes_name = f"{secrets.token_hex(16)}.{minutes.extension}"
        meeting.minutes_type, meeting.minutes_size = minutes.content_type, len(minutes.data)
    db.session.add(meeting)
    record_event(project, "meeting", actor, now,
                 note=_("%(date)s 议事会：参会 %(a)d 人，赞成 %(s)d 人，反对 %(o)d 人",
                        date=held_on.isoformat(), a=attendees, s=supporters, o=opposers))
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
    oppose: int
    meeting: Meeting | None

    @property
    def cast(self) -> int:
        return self.support + self.oppose


def latest_meeting(project: Project) -> Meeting | None:
    return db.session.scalar(select(Meeting).where(Meeting.project_id == project.id)
                             .order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(1))


def deliberation_result(project: Project) -> Result:
    """Passed: enough residents voted (quorum), enough supported, 反对 under the blocking
    share, and the latest residents' meeting agreed. Counted from the votes only."""
    rules = for_project(project)
    counts = vote_counts(project.id)
    support, oppose = counts[VoteChoice.SUPPORT], counts[VoteChoice.OPPOSE]
    meeting = latest_meeting(project)

    def no(reason):
        return Result(False, reason, support, oppose, meeting)

    if support + oppose < rules.quorum:
        return no(_("参与表决的居民 %(n)d 人，未达到 %(m)d 人的最低参与人数。",
                    n=support + oppose, m=rules.quorum))
    if support + oppose and oppose >= rules.oppose_block_share * (support + oppose):
        return no(_("反对 %(o)d 人，占表决人数的 %(p)d%%，达到否决比例 %(b)d%%：项目不能立项。",
                    o=oppose, p=round(100 * oppose / (support + oppose)),
                    b=round(100 * rules.oppose_block_share)))
    if support < rules.support_min:
        return no(_("支持的居民 %(n)d 人，未达到 %(m)d 人。", n=support, m=rules.support_min))
    if meeting is None:
        return no(_("还没有登记居民议事会议。"))
    if meeting.decision != MeetingDecision.AGREED:
        return no(_("最近一次居民议事会议没有同意实施。"))
    return Result(True, "", support, oppose, meeting)
