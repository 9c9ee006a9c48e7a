"""Residency: asked for by the resident, verified by the community office or a grid
worker of that community. The 楼门长 (building head) path comes with that role.

Services take the acting user and an explicit `now`, check every rule, flush.
"""
from datetime import datetime

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import and_, exists, select, union
from sqlalchemy.orm import aliased, joinedload

from community.areas.models import Unit, UnitKind
from community.auth.models import Role, User
from community.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.core.text import clean_text

from .models import Residency, ResidencyState

R = ResidencyState
NOTE_MAX = 200


def verified_community_id(user) -> int | None:
    """The community verified for a resident, or None; remembered for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_resident:
        return None
    cache = g.setdefault("verified_communities", {}) if has_app_context() else {}
    if user.id not in cache:
        cache[user.id] = db.session.scalar(
            select(Residency.community_id).where(Residency.user_id == user.id,
                                                 Residency.state == R.VERIFIED)
            .order_by(Residency.decided_at.desc(), Residency.id.desc()).limit(1))
    return cache[user.id]


def _forget(user_id: int) -> None:
    if has_app_context():
        g.setdefault("verified_communities", {}).pop(user_id, None)


def current(user: User) -> Residency | None:
    return db.session.scalar(select(Residency).where(
        Residency.user_id == user.id, Residency.state == R.VERIFIED)
        .order_by(Residency.decided_at.desc(), Residency.id.desc()).limit(1))


def history(user: User, limit: int = 10) -> list[Residency]:
    return list(db.session.scalars(select(Residency).where(Residency.user_id == user.id)
                                   .order_by(Residency.requested_at.desc(), Residency.id.desc())
                                   .limit(limit)))


def pending_request(user: User) -> Residency | None:
    return db.session.scalar(select(Residency).where(Residency.user_id == user.id,
                                                     Residency.state == R.PENDING).limit(1))


def _community(community_id) -> Unit:
    unit = db.session.get(Unit, community_id) if community_id else None
    if unit is None or unit.kind != UnitKind.COMMUNITY or not unit.active:
        raise ValidationFailed(_("请选择社区。"), field="community")
    return unit


def request_residency(user: User, now: datetime, community_id, note: str = "") -> Residency:
    """A resident asks their community to verify that they live there (or moved)."""
    if not user.is_resident:
        raise NotAllowed()
    community = _community(community_id)
    if pending_request(user) is not None:
        raise Conflict(_("您已有一个待核实的申请，请等待社区处理。"))
    if verified_community_id(user) == community.id:
        raise ValidationFailed(_("您已核实为该社区居民。"), field="community")
    row = Residency(user_id=user.id, community_id=community.id, state=R.PENDING,
                    note=clean_text(note, NOTE_MAX), requested_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def verifier_community_id(actor) -> int | None:
    """The community whose residents the actor may verify: its office or its grid workers."""
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.unit is None:
        return None
    if actor.role == Role.COMMUNITY:
        return actor.unit_id
    if actor.role == Role.GRID:
        return actor.unit.community_id
    return None


def can_verify(actor) -> bool:
    return verifier_community_id(actor) is not None


def verify(actor: User, now: datetime, resident_id: int, note: str = "") -> Residency:
    """Confirm a resident lives in the actor's community; any earlier residency ends."""
    community_id = verifier_community_id(actor)
    if community_id is None:
        raise NotAllowed()
    resident = db.session.get(User, resident_id) if resident_id else None
    if resident is None or not resident.is_resident:
        raise NotFound()
    if not _waiting_here(resident, community_id):
        raise NotFound()  # only residents who asked here, or stated this community at sign-up
    for row in db.session.scalars(select(Residency).where(
            Residency.user_id == resident.id, Residency.state.in_([R.VERIFIED, R.PENDING]))):
        if row.state == R.PENDING and row.community_id == community_id:
            continue
        if row.state == R.PENDING:
            row.state, row.decided_at, row.decided_by_id = R.REFUSED, now, actor.id
            row.decided_unit_id, row.decision_note = actor.unit_id, _("已由其他社区核实。")
        else:
            row.state, row.ended_at = R.ENDED, now
    row = pending_request(resident)
    if row is None or row.community_id != community_id:
        row = Residency(user_id=resident.id, community_id=community_id, requested_at=now)
        db.session.add(row)
    row.state, row.decided_at, row.decided_by_id = R.VERIFIED, now, actor.id
    row.decided_unit_id, row.decision_note = actor.unit_id, clean_text(note, NOTE_MAX)
    resident.home_community_id = community_id  # requests without a place go there too
    _forget(resident.id)
    db.session.flush()
    return row


def refuse(actor: User, now: datetime, residency_id: int, note: str) -> Residency:
    community_id = verifier_community_id(actor)
    row = db.session.get(Residency, residency_id) if residency_id else None
    if community_id is None or row is None or row.community_id != community_id:
        raise NotFound()
    if row.state != R.PENDING:
        raise Conflict(_("这个申请已经处理过了。"))
    note = clean_text(note, NOTE_MAX)
    if not note:
        raise ValidationFailed(_("请说明不能核实的原因，居民会看到。"), field="note")
    row.state, row.decided_at, row.decided_by_id = R.REFUSED, now, actor.id
    row.decided_unit_id, row.decision_note = actor.unit_id, note
    db.session.flush()
    return row


def _waiting_clause(community_id: int):
    """Residents waiting for this community: they asked, or they named it at sign-up
    and have neither a verification anywhere nor a request pending anywhere.
    Written as two indexed sets (residencies by community, users by home community):
    an OR of the two read every resident of the city (issue 30)."""
    asked = select(Residency.user_id).where(Residency.state == R.PENDING,
                                            Residency.community_id == community_id)
    resident = aliased(User)  # not the outer query's users: a set of its own
    stated = select(resident.id).where(
        resident.home_community_id == community_id,
        ~exists().where(Residency.user_id == resident.id, Residency.state.in_([R.VERIFIED, R.PENDING])))
    return and_(User.role == Role.RESIDENT, User.active.is_(True), User.id.in_(union(asked, stated)))


def _waiting_here(resident: User, community_id: int) -> bool:
    return db.session.scalar(select(User.id).where(User.id == resident.id,
                                                   _waiting_clause(community_id))) is not None


def waiting(actor: User, phone: str = "", limit: int = 100) -> list[tuple[User, Residency | None]]:
    """Who waits for the actor's community, with their request if they made one."""
    community_id = verifier_community_id(actor)
    if community_id is None:
        raise NotFound()
    query = select(User).where(_waiting_clause(community_id))
    if phone:
        query = query.where(User.phone == phone.strip())
    users = list(db.session.scalars(query.order_by(User.created_at, User.id).limit(limit)))
    requests = {r.user_id: r for r in db.session.scalars(select(Residency).where(
        Residency.user_id.in_([u.id for u in users] or [0]), Residency.state == R.PENDING))}
    return [(u, requests.get(u.id)) for u in users]


def verified_residents(community_id: int) -> list[User]:
    return list(db.session.scalars(select(User).join(Residency, Residency.user_id == User.id).where(
        Residency.community_id == community_id, Residency.state == R.VERIFIED,
        User.active.is_(True)).order_by(User.id)))


def recently_verified(actor: User, limit: int = 20) -> list[Residency]:
    community_id = verifier_community_id(actor)
    return list(db.session.scalars(select(Residency).where(
        Residency.community_id == community_id, Residency.state == R.VERIFIED)
        .order_by(Residency.decided_at.desc(), Residency.id.desc()).limit(limit)
        .options(joinedload(Residency.user))))  # the page names each
