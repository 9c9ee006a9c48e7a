"""What the API reads and files: scoped lists with cursors, locating a filing."""
import hashlib
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from community.areas import geo
from community.areas.models import Unit, UnitKind
from community.areas.services import community_area_by_code, unit_by_code
from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db
from community.tickets.access import can_view, scope_filter
from community.tickets.models import Category, Ticket, overdue_clause
from community.tickets.services import normalize_tracking_code
from community.tickets.states import FINISHED, OPEN
from community.workqueue.queue import state_in

from .serialize import decode_cursor, encode_cursor

CODE_CHARS = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
CODE_LENGTHS = (12, 16)  # codes issued before 80-bit codes had 12 characters
EAGER = (selectinload(Ticket.category), selectinload(Ticket.handling_unit),
         selectinload(Ticket.grid), selectinload(Ticket.community), selectinload(Ticket.street),
         selectinload(Ticket.assignee), selectinload(Ticket.merged_into))


def visible_by_code(code: str, user) -> Ticket:
    """The request with this tracking code if `user` may see it; NotFound otherwise,
    so an outsider cannot tell a hidden request from a missing one."""
    code = normalize_tracking_code(code or "")
    if len(code) not in CODE_LENGTHS or not set(code) <= CODE_CHARS:
        raise NotFound()
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == code))
    if ticket is None or user is None or not can_view(user, ticket):
        raise NotFound()
    return ticket


def active_unit(code: str | None, kind: UnitKind | None = None, field: str = "unit") -> Unit:
    unit = unit_by_code(code) if code else None
    if unit is None or not unit.active or (kind is not None and unit.kind != kind):
        raise ValidationFailed(_("没有这个编码的单位：%(code)s", code=code or ""), field=field)
    return unit


def list_requests(user, args: dict, now: datetime) -> tuple[list[Ticket], str | None]:
    query = select(Ticket).where(scope_filter(user))
    state = args.get("state", "open")
    if state == "open":
        query = query.where(state_in(OPEN, "open_states"))
    elif state == "finished":
        query = query.where(state_in(FINISHED, "finished_states"))
    elif state != "all":
        query = query.where(Ticket.state == state)
    if args.get("category"):
        query = query.join(Category, Ticket.category_id == Category.id).where(
            Category.code == args["category"])
    if args.get("kind"):
        query = query.where(Ticket.kind == args["kind"])
    if args.get("tier"):
        query = query.where(Ticket.tier == args["tier"])
    if args.get("unit"):
        unit = active_unit(args["unit"])
        query = query.where(or_(Ticket.grid_id == unit.id, Ticket.community_id == unit.id,
                                Ticket.street_id == unit.id, Ticket.county_id == unit.id,
                                Ticket.handling_unit_id == unit.id))
    if args.get("overdue"):
        query = query.where(overdue_clause(now))
    if args.get("mine"):
        query = query.where(Ticket.assignee_id == user.id)
    if args.get("submitted_from"):
        query = query.where(Ticket.submitted_at >= args["submitted_from"])
    if args.get("submitted_to"):
        query = query.where(Ticket.submitted_at < args["submitted_to"])
    if args.get("cursor"):
        at, last_id = decode_cursor(args["cursor"])
        query = query.where(or_(Ticket.submitted_at < at,
                                and_(Ticket.submitted_at == at, Ticket.id < last_id)))
    limit = args.get("limit", 30)
    rows = list(db.session.scalars(query.options(*EAGER).order_by(
        Ticket.submitted_at.desc(), Ticket.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def filing_place(args: dict, user) -> dict:
    """community_id, grid_id, latitude and longitude for a Filing.

    A grid code wins; then a point (which must lie in the community, if one is
    named too); then a community code (its address words pick the grid); then
    the resident's registered community.
    """
    lat, long = args.get("lat"), args.get("long")
    if (lat is None) != (long is None):
        raise ValidationFailed(_("纬度和经度要一起提供。"), field="lat")
    place = {"latitude": lat, "longitude": long, "grid_id": None, "community_id": None}
    if args.get("grid"):
        grid = active_unit(args["grid"], UnitKind.GRID, field="grid")
        place.update(grid_id=grid.id, community_id=grid.community_id)
        return place
    if args.get("community") and lat is None:
        # The community with its grids and the units above it, in the one statement
        # the filing needs anyway (submit_ticket takes it as `area`).
        area = community_area_by_code(args["community"])
        if area[0] is None or not area[0].active or area[0].kind != UnitKind.COMMUNITY:
            raise ValidationFailed(_("没有这个编码的单位：%(code)s", code=args["community"]),
                                   field="community")
        place.update(community_id=area[0].id, area=area)
        return place
    if lat is not None:
        community = active_unit(args["community"], UnitKind.COMMUNITY, field="community") \
            if args.get("community") else None
        grid = geo.locate_point(lat, long)
        if community is not None and grid.community_id != community.id:
            raise ValidationFailed(_("所给的位置不在所选社区内。"), field="lat")
        place.update(grid_id=grid.id, community_id=grid.community_id)
    elif user.is_resident and user.home_community_id:
        place["community_id"] = user.home_community_id
    else:
        raise ValidationFailed(_("请提供网格、社区或经纬度。"), field="community")
    return place


def idempotency_token(user, key: str | None) -> str | None:
    """An Idempotency-Key header becomes the filing's submit token: a retried
    POST finds the first request instead of filing a second one."""
    if key is None:
        return None
    key = key.strip()  # present but empty is refused: the document says minLength 1
    if not key or len(key) > 200 or not key.isprintable():
        raise ValidationFailed(_("Idempotency-Key 应为 1 到 200 个可见字符。"), field="Idempotency-Key")
    return hashlib.sha256(f"api:{user.id}:{key}".encode("utf-8", "surrogatepass")).hexdigest()
