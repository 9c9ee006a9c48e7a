"""Appointing 楼门长, which requests are in their buildings, and their 代办 filings.

A building head is a resident: they file on a neighbour's behalf (代办) inside their
buildings, read the requests located there with the contact masked, and are told of
each public step. They never handle, rate, or see a phone number.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from community.areas.models import Unit, UnitKind
from community.auth.models import Role, User
from community.core.errors import NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.tickets.models import Ticket

from .models import BuildingHead


def can_appoint(user: User | None, grid: Unit | None) -> bool:
    """The community office appoints the heads of its grids' buildings (and the admin)."""
    if user is None or not user.is_authenticated or grid is None or grid.kind != UnitKind.GRID:
        return False
    return user.role == Role.ADMIN or (user.role == Role.COMMUNITY and user.unit_id == grid.community_id)


def appoint(actor: User, now: datetime, phone: str, grid_id: int | None, buildings: str) -> list[BuildingHead]:
    """Make the resident with this phone head of the named buildings (comma-separated) of a grid."""
    grid = db.session.get(Unit, grid_id) if grid_id else None
    if grid is None or grid.kind != UnitKind.GRID:
        raise ValidationFailed(_("请选择有效的网格。"), field="grid")
    if not can_appoint(actor, grid):
        raise NotAllowed(_("只有本社区可以任命楼门长。"))
    resident = db.session.scalar(select(User).where(User.phone == (phone or "").strip(),
                                                    User.role == Role.RESIDENT, User.active.is_(True)))
    if resident is None:
        raise ValidationFailed(_("没有找到用这个手机号注册的居民。"), field="phone")
    names = [b.strip() for b in (buildings or "").replace("，", ",").split(",") if b.strip()]
    if not names:
        raise ValidationFailed(_("请填写楼栋，如“3号楼”，多个用逗号分开。"), field="buildings")
    if any(len(b) > 60 for b in names):
        raise ValidationFailed(_("楼栋名称不能超过 60 字。"), field="buildings")
    held = {h.building for h in current_of(resident) if h.grid_id == grid.id}
    rows = [BuildingHead(user_id=resident.id, grid_id=grid.id, building=b, appointed_at=now,
                         appointed_by_id=actor.id) for b in dict.fromkeys(names) if b not in held]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def end(actor: User, now: datetime, head_id: int) -> None:
    head = db.session.get(BuildingHead, head_id)
    if head is None or not can_appoint(actor, head.grid):
        raise NotFound()
    if head.ended_at is None:
        head.ended_at, head.ended_by_id = now, actor.id


def current_of(user: User | None) -> list[BuildingHead]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_resident:
        return []
    return list(db.session.scalars(select(BuildingHead).where(
        BuildingHead.user_id == user.id, BuildingHead.ended_at.is_(None)).order_by(BuildingHead.id)))


def is_head(user: User | None) -> bool:
    return bool(current_of(user))


def appointed_in(actor: User) -> list[BuildingHead]:
    """The current heads of the communities `actor` appoints in."""
    query = select(BuildingHead).join(Unit, Unit.id == BuildingHead.grid_id).where(
        BuildingHead.ended_at.is_(None))
    if actor.role != Role.ADMIN:
        query = query.where(Unit.community_id == actor.unit_id)
    return list(db.session.scalars(query.order_by(BuildingHead.grid_id, BuildingHead.building)))


def _in_buildings(heads):
    """Requests in any of these buildings: the head's grid, the building's words in the address."""
    return or_(*(and_(Ticket.grid_id == h.grid_id, Ticket.address.contains(h.building, autoescape=True))
                 for h in heads))


def covers(heads, grid_id: int, address: str) -> bool:
    return any(h.grid_id == grid_id and h.building in (address or "") for h in heads)


def in_buildings(user: User, ticket: Ticket) -> bool:
    return covers(current_of(user), ticket.grid_id, ticket.address)


def tickets_of(user: User, limit: int = 200) -> list[Ticket]:
    heads = current_of(user)
    if not heads:
        return []
    return list(db.session.scalars(select(Ticket).where(_in_buildings(heads))
                                   .order_by(Ticket.submitted_at.desc()).limit(limit)))


def visible_ticket(user: User, ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not in_buildings(user, ticket):
        raise NotFound()
    return ticket


def may_file_for(user: User, grid: Unit, address: str) -> bool:
    """A head files 代办 only for an address in one of their buildings."""
    return covers(current_of(user), grid.id, address)


def heads_for(grid_id: int, address: str) -> list[int]:
    """User ids of the current heads whose buildings hold this address."""
    rows = db.session.execute(select(BuildingHead.user_id, BuildingHead.building).where(
        BuildingHead.grid_id == grid_id, BuildingHead.ended_at.is_(None))).all()
    return sorted({user_id for user_id, building in rows if building in (address or "")})


def current_heads_of_grids(grid_ids) -> dict[int, list[tuple[int, str]]]:
    """{grid id: [(user id, building)]} of the current heads of these grids."""
    out = {}
    if not grid_ids:
        return out
    for grid_id, user_id, building in db.session.execute(
            select(BuildingHead.grid_id, BuildingHead.user_id, BuildingHead.building).where(
                BuildingHead.grid_id.in_(sorted(grid_ids)), BuildingHead.ended_at.is_(None))):
        out.setdefault(grid_id, []).append((user_id, building))
    return out
