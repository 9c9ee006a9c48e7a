"""Rating a resolution (好差评): who may, when, and what a 差评 sets off.

Who may rate (DOMAIN.md "好差评"), one rule in community.tickets.access:
the resident who filed, signed in; for a request filed without an account,
the holder of the single-use link texted to its contact phone at 办结
(community.tickets.links). The tracking code alone never rates: staff see every
code in their scope. Or a 回访: a callback officer of a unit that did not handle
the request writes down what the resident said on the phone (record_callback_rating).
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.auth.models import Role, User
from community.core.errors import Conflict, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.tally.marks import mark_days
from community.tickets import links
from community.tickets.access import can_view, check_resident_step
from community.tickets.models import Ticket, TicketEvent
from community.tickets.notes import Note
from community.tickets.services import record_event
from community.tickets.states import State

from .cases import open_case
from .models import BAD_LEVELS, Level, Rating, RatingChannel, RatingReason, Reason, Resolution, Solved
from .wiring import latest_resolution, latest_resolutions

COMMENT_MAX = 500
OTHER_MAX = 200
CALLBACK_ROLES = (Role.STREET, Role.COUNTY, Role.SUPERVISOR)
# Events that are no step of handling: looking up the phone to call back, the callback itself.
NOT_HANDLING = ("contact_revealed", "callback_rating")


@dataclass
class Answer:
    """What the resident said: the two questions, and a 差评's reasons."""
    solved: str
    level: str
    comment: str = ""
    reasons: list[str] = field(default_factory=list)
    other: str = ""


def rating_window(resolution: Resolution) -> datetime:
    return resolution.resolved_at + timedelta(days=current_app.config["COMMUNITY_RATING_WINDOW_DAYS"])


_LOOK_UP = object()  # no latest resolution passed in: read it


def rateable_resolution(ticket: Ticket, latest=_LOOK_UP) -> Resolution | None:
    """The resolution a rating now would be about: the latest, not reopened since.
    `latest`: the request's latest resolution when the caller read it already (a list)."""
    if ticket.state not in (State.RESOLVED, State.CLOSED):
        return None
    resolution = latest_resolution(ticket) if latest is _LOOK_UP else latest
    if resolution is None or resolution.reopened_at is not None:
        return None
    return resolution


def check_rater(ticket: Ticket, user: User | None, link=None) -> None:
    check_resident_step(ticket, user, "rate", link)


def opportunity(ticket: Ticket, user: User | None, now: datetime, link=None, latest=_LOOK_UP):
    """(resolution, refusal): what the tracking or link page offers this visitor now."""
    resolution = rateable_resolution(ticket, latest)
    if resolution is None:
        return None, None
    if resolution.rating is not None:
        return resolution, _("感谢您的评价。")
    if now > rating_window(resolution):
        return resolution, _("评价期限已过（办结后 %(d)d 天内可评价），本次办理记为未评价。",
                             d=current_app.config["COMMUNITY_RATING_WINDOW_DAYS"])
    try:
        check_rater(ticket, user, link)
    except NotAllowed as exc:
        return resolution, str(exc.message)
    return resolution, None


def awaits_rating(ticket: Ticket, user: User, now: datetime, latest=_LOOK_UP) -> bool:
    """待评价 on the resident's list: the same rule the tracking page's rating form follows."""
    if ticket.state not in ("resolved", "closed"):
        return False
    resolution, refusal = opportunity(ticket, user, now, latest=latest)
    return resolution is not None and refusal is None


def awaiting_rating(tickets: list[Ticket], user: User, now: datetime) -> set[int]:
    """The ids of those `tickets` that await this resident's rating (awaits_rating), with
    their latest resolutions and ratings read in one query, not two per request."""
    done = [t for t in tickets if t.state in ("resolved", "closed")]
    latest = latest_resolutions(done) if done else {}
    return {t.id for t in done if awaits_rating(t, user, now, latest.get(t.id))}


def _clean(answer: Answer) -> Answer:
    if answer.solved not in Solved.__members__.values():
        raise ValidationFailed(_("请选择问题是否解决。"), field="solved")
    if answer.level not in Level.__members__.values():
        raise ValidationFailed(_("请选择满意程度。"), field="level")
    comment = (answer.comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed(_("评价内容不能超过 %(n)d 字。", n=COMMENT_MAX), field="comment")
    reasons, other = [], ""
    if answer.level in BAD_LEVELS:
        reasons = sorted(set(answer.reasons or []))
        if not reasons:
            raise ValidationFailed(_("请选择不满意的原因（可多选）。"), field="reasons")
        if any(r not in Reason.__members__.values() for r in reasons):
            raise ValidationFailed(_("未知的不满意原因。"), field="reasons")
        if Reason.OTHER in reasons:
            other = (answer.other or "").strip()
            if not other:
                raise ValidationFailed(_("选择“其他”时请写明原因。"), field="other")
            if len(other) > OTHER_MAX:
                raise ValidationFailed(_("其他原因不能超过 %(n)d 字。", n=OTHER_MAX), field="other")
    return Answer(answer.solved, answer.level, comment, reasons, other)


def _locked_resolution(ticket: Ticket) -> Resolution:
    """The resolution to rate, its row locked on PostgreSQL: of two ratings sent at once
    the second waits here, then finds the first and is refused (409), never a 500."""
    resolution = rateable_resolution(ticket)
    if resolution is None:
        raise NotAllowed(_("诉求办结后才能评价。"))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Resolution.id).where(Resolution.id == resolution.id).with_for_update())
    if db.session.scalar(select(Rating.id).where(Rating.resolution_id == resolution.id)):
        raise Conflict(_("这次办理已经评价过了，每次办结只能评价一次。"))
    return resolution


def _write(ticket, resolution, now, answer, channel, rater=None, recorded_by=None) -> Rating:
    if now > rating_window(resolution):
        raise NotAllowed(_("已超过办结后 %(d)d 天的评价期限。",
                           d=current_app.config["COMMUNITY_RATING_WINDOW_DAYS"]))
    # By id, not through the one-to-one relationship: assigning that would load a rating
    # another request wrote meanwhile and unlink it (NOT NULL), where the INSERT below
    # should meet the unique index and lose the race (409).
    rating = Rating(resolution_id=resolution.id, ticket=ticket, rated_at=now, solved=answer.solved,
                    level=answer.level, comment=answer.comment, other_reason=answer.other,
                    channel=channel, rater_id=rater.id if rater is not None else None,
                    recorded_by=recorded_by, grid_id=ticket.grid_id, community_id=ticket.community_id,
                    street_id=ticket.street_id, county_id=ticket.county_id,
                    handling_unit_id=ticket.handling_unit_id, resolution_unit_id=resolution.unit_id,
                    reasons=[RatingReason(reason=r) for r in answer.reasons])
    db.session.add(rating)
    if answer.level in BAD_LEVELS:
        open_case(rating, ticket, now)
    mark_days([resolution.resolved_at], now)
    db.session.flush()
    db.session.expire(resolution, ["rating"])  # read again: it is this rating now
    return rating


def rate(ticket: Ticket, user: User | None, now: datetime, answer: "Answer | str", level: str = "",
         comment: str = "", *, reasons=(), other: str = "", link=None, via_api: bool = False) -> Rating:
    """One rating for the current resolution, within the window; a 差评 opens a case.
    `answer`: an Answer, or the `solved` answer with the others as arguments.
    `link`: the usable single-use link (tickets.links.find) the visitor came with."""
    if not isinstance(answer, Answer):
        answer = Answer(answer, level, comment, list(reasons), other)
    check_rater(ticket, user, link)
    answer = _clean(answer)
    resolution = _locked_resolution(ticket)
    if link is not None and link.resolution_id != resolution.id:
        raise NotAllowed(_("这个链接不是这次办结的评价链接。"))
    signed_in = user is not None and user.is_authenticated
    channel = RatingChannel.LINK if not signed_in else (RatingChannel.API if via_api else RatingChannel.WEB)
    rating = _write(ticket, resolution, now, answer, channel, rater=user if signed_in else None)
    if link is not None:
        links.use(link, "rate", now)
    return rating


# -- 回访: a callback officer records the rating the resident gave on the phone ---------

def handling_units(ticket: Ticket) -> set[int]:
    """Every unit that worked on the request: its handling unit now, every unit that
    resolved it, and the unit of every staff member who took a step on it (filing it
    for the resident included)."""
    units = {ticket.handling_unit_id}
    units |= set(db.session.scalars(select(Resolution.unit_id).where(Resolution.ticket_id == ticket.id)))
    units |= set(db.session.scalars(
        select(User.unit_id).join(TicketEvent, TicketEvent.actor_id == User.id)
        .where(TicketEvent.ticket_id == ticket.id, User.unit_id.is_not(None),
               TicketEvent.action.not_in(NOT_HANDLING),
               User.role.not_in([Role.RESIDENT, Role.SUPERVISOR]))))
    return units


def callback_refusal(ticket: Ticket, user: User | None) -> str | None:
    """Why `user` may not record a 回访 rating of `ticket` (None: they may). One rule for
    the page, its button and the service."""
    if user is None or not user.is_authenticated or user.role not in CALLBACK_ROLES \
            or not can_view(user, ticket):
        return _("回访评价由街道、区县或考核办的回访员记录。")
    if ticket.resident_id is not None:
        return _("居民有账号，请居民本人登录评价。")
    acted = db.session.scalar(select(TicketEvent.id).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.actor_id == user.id,
        TicketEvent.action.not_in(NOT_HANDLING)).limit(1))
    if acted is not None or (user.role != Role.SUPERVISOR and user.unit_id in handling_units(ticket)):
        return _("办理过这件诉求的单位不能记录它的回访评价。")
    return None


def callback_offered(ticket: Ticket, user: User, now: datetime) -> bool:
    """Whether the staff page shows `user` the 回访 rating form for `ticket` now."""
    if user.role not in CALLBACK_ROLES:
        return False  # most staff: no queries
    resolution = rateable_resolution(ticket)
    return (resolution is not None and resolution.rating is None and now <= rating_window(resolution)
            and callback_refusal(ticket, user) is None)


def record_callback_rating(ticket: Ticket, officer: User, now: datetime, answer: Answer,
                           note: str = "") -> Rating:
    """回访 (channel callback): the officer is named on the rating and in the request's
    internal timeline; the rating counts like any other."""
    refusal = callback_refusal(ticket, officer)
    if refusal is not None:
        raise NotAllowed(refusal)
    answer = _clean(answer)
    resolution = _locked_resolution(ticket)
    rating = _write(ticket, resolution, now, answer, RatingChannel.CALLBACK, recorded_by=officer)
    links.revoke(ticket, now)  # the resident has answered: their link is spent
    record_event(ticket, "callback_rating", officer, now, public=False, touch=False,
                 note=Note("callback_rating_note", name=officer.display_name, note=note.strip()[:500])
                 if note and note.strip() else Note("callback_rating", name=officer.display_name))
    return rating
