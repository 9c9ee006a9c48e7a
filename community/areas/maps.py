"""What the maps draw (static/js/maps.js): areas as GeoJSON features, shaded by a
figure in a few classes, points, and the tile layer when one is configured.

The shading is decided here, not in the browser, so the legend and the table
beside each map (its text alternative) say exactly what the map shows.
"""
import json
from bisect import bisect_left

from flask import current_app
from sqlalchemy import select

from community.core.extensions import db

from .models import Unit, UnitKind

SHADES = 5  # classes of a shaded map, lightest 0 … darkest 4


def feature(unit: Unit, **properties) -> dict | None:
    """A unit's boundary as a GeoJSON Feature, or None when it has none."""
    if not unit.boundary:
        return None
    return {"type": "Feature", "geometry": json.loads(unit.boundary),
            "properties": {"id": unit.id, "code": unit.code, "name": unit.name, **properties}}


def shade(values: dict) -> dict:
    """Unit id -> class 0..SHADES-1 by rank among the values given (None: unshaded), so
    the darkest class is the top fifth whatever the figure's scale."""
    known = sorted(v for v in values.values() if v is not None)
    out = {}
    for unit_id, value in values.items():
        if value is None or not known:
            out[unit_id] = None
        elif known[0] == known[-1]:
            out[unit_id] = 0 if value == 0 else SHADES // 2
        else:
            below = bisect_left(known, value)  # how many are smaller (known is sorted)
            out[unit_id] = min(SHADES - 1, below * SHADES // len(known))
    return out


def tiles() -> dict | None:
    """The configured tile layer (COMMUNITY_MAP_TILE_URL), else None: boundaries on a
    blank background, and nothing leaves for a third party's server."""
    url = current_app.config.get("COMMUNITY_MAP_TILE_URL") or ""
    if not url:
        return None
    return {"url": url, "attribution": current_app.config.get("COMMUNITY_MAP_TILE_ATTRIBUTION") or ""}


def map_data(areas=(), points=(), point=None, **extra) -> str:
    """The JSON a page embeds for maps.js (the map element's data-map-json attribute,
    escaped by Jinja like any attribute)."""
    data = {"areas": {"type": "FeatureCollection", "features": [f for f in areas if f]},
            "points": list(points), "point": point, "tiles": tiles(), **extra}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def grids_of(unit: Unit) -> list[Unit]:
    """The active grids with a boundary within a street or county (or the community)."""
    column = {UnitKind.COUNTY: Unit.county_id, UnitKind.STREET: Unit.street_id,
              UnitKind.COMMUNITY: Unit.community_id}[UnitKind(unit.kind)]
    return list(db.session.scalars(select(Unit).where(
        column == unit.id, Unit.kind == UnitKind.GRID, Unit.active.is_(True),
        Unit.boundary.is_not(None)).order_by(Unit.code)))


def filing_areas(community_id) -> list[dict]:
    """What the filing page's map starts with: the chosen community's grids and the
    other communities of its street; with none chosen, the streets. A city's worth of
    outlines is never sent to one resident's phone."""
    community = db.session.get(Unit, int(community_id)) if str(community_id or "").isdigit() else None
    if community is None or community.kind != UnitKind.COMMUNITY:
        streets = db.session.scalars(select(Unit).where(
            Unit.kind == UnitKind.STREET, Unit.active.is_(True), Unit.boundary.is_not(None))
            .order_by(Unit.code))
        return [feature(s, outline=True) for s in streets]
    neighbours = db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.COMMUNITY, Unit.parent_id == community.parent_id, Unit.id != community.id,
        Unit.active.is_(True), Unit.boundary.is_not(None)).order_by(Unit.code))
    return [feature(c, outline=True) for c in neighbours] + [feature(g) for g in grids_of(community)]


def staff_filing_areas(community_id, unit: Unit | None) -> list[dict]:
    """filing_areas() for staff filing on someone's behalf: with no community chosen, the
    outlines of their own area's parts (a county's or a department's county's streets, a
    street's communities; the counties for the admin), not the whole city's streets."""
    if str(community_id or "").isdigit():
        return filing_areas(community_id)
    if unit is None:
        where = (Unit.kind == UnitKind.COUNTY,)
    elif unit.kind in (UnitKind.COUNTY, UnitKind.DEPARTMENT):
        where = (Unit.kind == UnitKind.STREET,
                 Unit.parent_id == (unit.id if unit.kind == UnitKind.COUNTY else unit.parent_id))
    elif unit.kind == UnitKind.STREET:
        where = (Unit.kind == UnitKind.COMMUNITY, Unit.parent_id == unit.id)
    else:
        return filing_areas(unit.community_id or unit.id)
    return [feature(u, outline=True) for u in db.session.scalars(select(Unit).where(
        *where, Unit.active.is_(True), Unit.boundary.is_not(None)).order_by(Unit.code))]


def located(grid: Unit) -> dict:
    """The answer of /areas/locate: the grid a point lies in, with its boundary."""
    community = grid.parent
    return {"grid": {"id": grid.id, "name": grid.name, "community_id": grid.community_id,
                     "community_name": community.name if community else ""},
            "boundary": feature(grid, highlight=True)}


def ticket_map(ticket) -> str | None:
    """The staff ticket page's map: the request's point and its grid's boundary (None
    when there is neither)."""
    grid = ticket.grid
    area = feature(grid, highlight=True) if grid is not None else None
    point = None
    if ticket.latitude is not None and ticket.longitude is not None:
        point = {"lat": ticket.latitude, "long": ticket.longitude, "label": grid.name if grid else ""}
    if area is None and point is None:
        return None
    return map_data([area], point=point, zoom=17)
