"""申诉: the handler appeals a rating; the tier above the appealing unit upholds it
(excluded from the figures, kept in the record, its 整改 case closed) or rejects it.
A grid's or community's appeal goes to the street, a street's own to the county,
a county unit's or a department's to the county supervisor (考核办)."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from community.areas.models import Unit, UnitKind
from community.auth.models import Role, User
from community.core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.tally.marks import mark_days
from community.tickets.models import Ticket

from .models import Appeal, AppealState, CaseState, Rating, Resolution
from .scope import in_scope, is_appellant, is_judge, judge_for

REASON_MAX = 2000


def file_appeal(rating: Rating, actor: User, now: datetime, reason: str) -> Appeal:
    if not is_appellant(actor, rating):
        raise NotAllowed(_("只有办理单位可以对评价提出申诉。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请说明申诉理由（恶意评价或与办理无关）。"), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("申诉理由不能超过 %(n)d 字。", n=REASON_MAX), field="reason")
    if db.session.scalar(select(Appeal.id).where(Appeal.rating_id == rating.id)):
        raise Conflict(_("这条评价已经申诉过了。"))
    # By id, not through the one-to-one relationship (see ratings.services._write): a
    # second appeal sent at once meets the unique index and loses the race (409).
    appeal = Appeal(rating_id=rating.id, street_id=rating.ticket.street_id,
                    handling_unit_id=rating.ticket.handling_unit_id, reason=reason, filed_at=now,
                    filed_by=actor, state=AppealState.PENDING, judge=judge_for(actor))
    db.session.add(appeal)
    db.session.flush()
    db.session.expire(rating, ["appeal"])
    mark_days([rating.resolution.resolved_at], now)  # the figures show appealed ratings (issue 19)
    return appeal


def decide_appeal(appeal: Appeal, actor: User, now: datetime, uphold: bool, note: str = "") -> None:
    if not is_judge(actor, appeal):
        raise NotAllowed(_("申诉由申诉单位的上一级审核，申诉单位不能自己审核。"))
    if appeal.state != AppealState.PENDING:
        raise InvalidTransition(_("这条申诉已经审核过了。"))
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationFailed(_("说明不能超过 %(n)d 字。", n=REASON_MAX), field="note")
    appeal.state = AppealState.UPHELD if uphold else AppealState.REJECTED
    appeal.decided_at, appeal.decided_by, appeal.decision_note = now, actor, note
    appeal.rating.excluded = bool(uphold)
    case = appeal.rating.case
    if uphold and case is not None and case.state != CaseState.CLOSED:
        # The 差评 does not stand: nothing is left to rectify.
        case.state, case.closed_at, case.closed_by = CaseState.CLOSED, now, actor
        case.review_note = _("申诉成立，结案：%(note)s", note=note) if note else _("申诉成立，结案。")
    mark_days([appeal.rating.resolution.resolved_at], now)
    _tell_rater(appeal, now, uphold)


def _tell_rater(appeal: Appeal, now: datetime, uphold: bool) -> None:
    """The resident hears how the appeal against their rating ended (issue 24)."""
    from community.workqueue.notifications import tell_appeal_outcome

    tell_appeal_outcome(appeal.rating.ticket, now, uphold)


# What the list shows of each rating, loaded in a few statements instead of per row.
LIST_LOADS = (selectinload(Rating.ticket).selectinload(Ticket.category),
              selectinload(Rating.resolution).selectinload(Resolution.unit),
              selectinload(Rating.case), selectinload(Rating.appeal), selectinload(Rating.reasons),
              selectinload(Rating.recorded_by))


def appeals_for(user: User, pending_only: bool = False, limit: int = 100,
                before: Appeal | None = None) -> list[Appeal]:
    """The newest appeals the user may see; with `before`, the ones filed before it
    (keyset, as ratings_for)."""
    query = appeals_in_scope(select(Appeal), user)
    query = query.options(selectinload(Appeal.rating).selectinload(Rating.ticket),
                          selectinload(Appeal.filed_by)).order_by(Appeal.filed_at.desc(), Appeal.id.desc())
    if pending_only:
        query = query.where(Appeal.state == AppealState.PENDING)
    if before is not None:
        query = query.where(or_(Appeal.filed_at < before.filed_at,
                                and_(Appeal.filed_at == before.filed_at, Appeal.id < before.id)))
    return list(db.session.scalars(query.limit(limit)))


def appeals_in_scope(query, user: User):
    """`query` over Appeal limited to what `user` may see. An area's appeals are found by
    the appeal's own street (ix_appeals_street_state): a county's through its streets, a
    community's or grid's in its street, then by the rating's column; a department's by
    the appeal's own handling unit (ratings.scope.in_scope). Going from the unit's ratings
    instead reads every rating of a county (250,000 at 5M) to find its few hundred
    appeals (issue 30)."""
    if user.role == Role.ADMIN:  # every appeal: nothing to join
        return query
    if user.role == Role.DEPARTMENT:
        return in_scope(query, Appeal, user)
    unit = user.unit if user.role in (Role.GRID, Role.COMMUNITY, Role.STREET, Role.COUNTY,
                                      Role.SUPERVISOR) else None
    if unit is None:  # a resident (nothing)
        return in_scope(query.join(Rating, Rating.id == Appeal.rating_id), Rating, user)
    if unit.kind == UnitKind.COUNTY:
        streets = select(Unit.id).where(Unit.county_id == unit.id, Unit.kind == UnitKind.STREET)
        return query.where(Appeal.street_id.in_(streets))
    if unit.kind == UnitKind.STREET:
        return query.where(Appeal.street_id == unit.id)
    return in_scope(query.join(Rating, Rating.id == Appeal.rating_id)
                    .where(Appeal.street_id == unit.street_id), Rating, user)


def ratings_for(user: User, limit: int = 100, before: Rating | None = None) -> list[Rating]:
    """The newest ratings the user may see (an index on (unit, rated_at) for the area
    tiers); with `before`, the ones rated before it (keyset: the next page costs the same
    as the first)."""
    query = in_scope(select(Rating), Rating, user)
    if before is not None:
        query = query.where(or_(Rating.rated_at < before.rated_at,
                                and_(Rating.rated_at == before.rated_at, Rating.id < before.id)))
    return list(db.session.scalars(query.options(*LIST_LOADS)
                                   .order_by(Rating.rated_at.desc(), Rating.id.desc()).limit(limit)))
