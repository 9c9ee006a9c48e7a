"""/api/v1 reference data (categories, areas), the caller, and API tokens."""
import json

from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from community.areas import geo
from community.areas.models import Unit
from community.areas.services import unit_by_code
from community.auth.models import Role
from community.core.errors import NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.core.paging import page_error
from community.tickets.services import active_categories
from community.core.timeutil import utcnow

from . import auth, schemas, tokens
from .blueprint import bp, public
from .serialize import area_dict, area_row, token_dict, unit_ref
from .views import errors


@bp.route("/categories", methods=["GET"])
@bp.response(200, schemas.CategoryOut(many=True))
@errors(429)
@public
def list_categories():
    """The active request categories, with their default tier and SLA class. Public."""
    locale = str(get_locale() or "zh")
    return [{"code": c.code, "name": c.label(locale), "name_zh": c.name_zh, "name_en": c.name_en,
             "default_tier": c.default_tier, "sla_class": c.sla_class,
             "department_duty": c.department_duty} for c in active_categories()]


# A city has some 12,000 units: the list comes in pages (X-Pagination says how many),
# with an ETag so a client that keeps its copy gets 304 until an area changes.
AREA_PAGE, AREA_PAGE_MAX = 500, 1000
AREA_PAGES = 10000  # a page number past any city's last page: refused, not sent to the database


@bp.route("/areas", methods=["GET"])
@bp.etag
@bp.arguments(schemas.AreaArgs, location="query")
@bp.response(200, schemas.AreaOut(many=True))
@bp.paginate(page_size=AREA_PAGE, max_page_size=AREA_PAGE_MAX)
@errors(422, 429)
@public
def list_areas(args, pagination_parameters):
    """Counties, streets, communities, grids and departments, by code, a page at a time
    (`page`, `page_size` ≤ 1000; the X-Pagination header has the total). Public."""
    if pagination_parameters.page > AREA_PAGES:
        raise page_error(AREA_PAGES)
    query = select(Unit).where(Unit.active.is_(True))
    if args.get("kind"):
        query = query.where(Unit.kind == args["kind"])
    if args.get("parent"):
        parent = unit_by_code(args["parent"])
        query = query.where(Unit.parent_id == (parent.id if parent is not None else 0))
    if args.get("county"):
        county = unit_by_code(args["county"])
        query = query.where(Unit.county_id == (county.id if county is not None else 0))
    pagination_parameters.item_count = db.session.scalar(
        select(func.count()).select_from(query.subquery()))
    parents = aliased(Unit)
    # Only the listed columns: a unit's boundary (GeoJSON, kilobytes) stays in the table.
    rows = db.session.execute(
        query.with_only_columns(Unit.code, Unit.name, Unit.kind, parents.code.label("parent"),
                                Unit.boundary.is_not(None).label("has_boundary"),
                                Unit.centre_lat, Unit.centre_long)
        .outerjoin(parents, parents.id == Unit.parent_id)
        .order_by(Unit.code).offset(pagination_parameters.first_item)
        .limit(pagination_parameters.page_size))
    return [area_row(r) for r in rows]


@bp.route("/areas/locate", methods=["GET"])
@bp.arguments(schemas.LocateArgs, location="query")
@bp.response(200, schemas.LocateOut)
@errors(422, 429)
@public
def locate(args):
    """The grid (and the units above it) a WGS 84 point lies in; 422 outside every grid."""
    grid = geo.locate_point(args["lat"], args["long"])
    units = {u.id: u for u in db.session.scalars(select(Unit).where(
        Unit.id.in_([grid.community_id, grid.street_id, grid.county_id])))}
    return {"grid": unit_ref(grid), "community": unit_ref(units[grid.community_id]),
            "street": unit_ref(units[grid.street_id]), "county": unit_ref(units[grid.county_id])}


@bp.route("/areas/<code>", methods=["GET"])
@bp.response(200, schemas.AreaDetail)
@errors(404, 429)
@public
def get_area(code):
    """One unit; a grid's boundary comes as GeoJSON. Public."""
    unit = unit_by_code(code) if len(code) <= 32 and code.isprintable() else None
    if unit is None or not unit.active:
        raise NotFound()
    data = area_dict(unit)
    data["boundary"] = json.loads(unit.boundary) if unit.boundary else None
    return data


@bp.route("/me", methods=["GET"])
@bp.response(200, schemas.MeOut)
@errors(401, 429)
def me():
    """Who the API takes the caller to be; session callers also get their CSRF token."""
    user = auth.require_user()
    token = g.get("api_token")
    return {"id": user.id, "username": user.username, "name": user.display_name,
            "role": user.role, "unit": unit_ref(user.unit),
            "home_community": unit_ref(user.home_community),
            "auth": "token" if token is not None else "session",
            "can_write": token.can_write if token is not None else True,
            "csrf_token": None if token is not None else generate_csrf()}


@bp.route("/tokens", methods=["GET"])
@bp.arguments(schemas.TokenListArgs, location="query")
@bp.response(200, schemas.TokenOut(many=True))
@errors(401, 403, 422, 429)
def list_tokens(args):
    """The caller's API tokens (the admin may name another user)."""
    user = auth.require_user()
    owner = _owner(user, args.get("user"))
    return [token_dict(t) for t in tokens.tokens_of(owner)]


@bp.route("/tokens", methods=["POST"])
@bp.arguments(schemas.TokenIn)
@bp.response(201, schemas.TokenCreated)
@errors()
def create_token(args):
    """A new token; the secret is in this answer only. Needs a signed-in session:
    a token cannot mint tokens. The admin may create one for another user."""
    user = auth.require_user()
    if g.get("api_token") is not None:
        raise NotAllowed(_("API 令牌不能用来创建新的令牌，请登录后创建。"))
    owner = _owner(user, args.get("user"))
    token, secret = tokens.create_token(owner, utcnow(), name=args["name"], created_by=user,
                                        can_write=args["can_write"], days=args.get("days"))
    db.session.commit()
    return token_dict(token, secret), 201


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
@bp.response(204)
@errors(401, 403, 404, 429)
def revoke_token(token_id):
    """Revoke a token at once (a token may revoke itself)."""
    user = auth.require_user()
    if not 0 < token_id < 2**31:
        raise NotFound()
    tokens.revoke(tokens.get_token(token_id, user), utcnow())
    db.session.commit()
    return ""


def _owner(user, login):
    if not login:
        return user
    if user.role != Role.ADMIN:
        raise NotAllowed(_("只有管理员可以管理他人的令牌。"))
    owner = tokens.user_by_login(login)
    if owner is None:
        raise ValidationFailed(_("没有这个用户。"), field="user")
    return owner
