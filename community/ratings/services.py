"""Rating a resolution (好差评): who may, when, and what a 差评 sets off.

Who may rate: DOMAIN.md says the resident who filed. A request filed by a
resident with an account is rated by that resident, signed in: the tracking
link alone is not enough, since it may have been forwarded. A request with no
resident account (代办 by a grid worker, a hotline call, an Open311 client) is
rated by whoever holds its tracking link, which only the resident was given.
Staff never rate: a handler must not grade their own work.
"""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.auth.models import User
from community.errors import Conflict, NotAllowed, ValidationFailed
from community.extensions import db
from community.stats.updates import mark_days
from community.tickets.models import Ticket
from community.tickets.states import State

from .cases import open_case
from .models import BAD_LEVELS, Level, Rating, Resolution, Solved
from .wiring import latest_resolution

COMMENT_MAX = 500


def rating_window(resolution: Resolution) -> datetime:
    return resolution.resolved_at + timedelta(days=current_app.config["COMMUNITY_RATING_WINDOW_DAYS"])


def rateable_resolution(ticket: Ticket) -> Resolution | None:
    """The resolution a rating now would be about: the latest, not reopened since."""
    if ticket.state not in (State.RESOLVED, State.CLOSED):
        return None
    resolution = latest_resolution(ticket)
    if resolution is None or resolution.reopened_at is not None:
        return None
    return resolution


def check_rater(ticket: Ticket, user: User | None) -> None:
    signed_in = user is not None and user.is_authenticated
    if signed_in and user.is_staff:
        raise NotAllowed(_("工作人员不能评价诉求。"))
    if ticket.resident_id is not None and not (signed_in and user.id == ticket.resident_id):
        raise NotAllowed(_("请登录提交这件诉求的账号后再评价。"))


def opportunity(ticket: Ticket, user: User | None, now: datetime):
    """(resolution, refusal): what the tracking page offers this visitor now."""
    resolution = rateable_resolution(ticket)
    if resolution is None:
        return None, None
    if resolution.rating is not None:
        return resolution, _("感谢您的评价。")
    if now > rating_window(resolution):
        return resolution, _("评价期限已过（办结后 %(d)d 天内可评价），本次办理记为未评价。",
                             d=current_app.config["COMMUNITY_RATING_WINDOW_DAYS"])
    try:
        check_rater(ticket, user)
    except NotAllowed as exc:
        return resolution, str(exc.message)
    return resolution, None


def rate(ticket: Ticket, user: User | None, now: datetime, solved: str, level: str,
         comment: str = "") -> Rating:
    """One rating for the current resolution, within the window; a 差评 opens a case."""
    check_rater(ticket, user)
    if solved not in Solved.__members__.values():
        raise ValidationFailed(_("请选择问题是否解决。"), field="solved")
    if level not in Level.__members__.values():
        raise ValidationFailed(_("请选择满意程度。"), field="level")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed(_("评价内容不能超过 %(n)d 字。", n=COMMENT_MAX), field="comment")
    resolution = rateable_resolution(ticket)
    if resolution is None:
        raise NotAllowed(_("诉求办结后才能评价。"))
    if db.session.scalar(select(Rating.id).where(Rating.resolution_id == resolution.id)):
        raise Conflict(_("这次办理已经评价过了，每次办结只能评价一次。"))
    if now > rating_window(resolution):
        raise NotAllowed(_("已超过办结后 %(d)d 天的评价期限。",
                           d=current_app.config["COMMUNITY_RATING_WINDOW_DAYS"]))
    rating = Rating(resolution=resolution, ticket=ticket, rated_at=now, solved=solved, level=level,
                    comment=comment, rater_id=user.id if user is not None and user.is_authenticated
                    else None, grid_id=ticket.grid_id, community_id=ticket.community_id,
                    street_id=ticket.street_id, county_id=ticket.county_id)
    db.session.add(rating)
    if level in BAD_LEVELS:
        open_case(rating, ticket, now)
    mark_days([resolution.resolved_at], now)
    db.session.flush()
    return rating
