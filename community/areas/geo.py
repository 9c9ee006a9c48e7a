"""Placing a point (WGS 84 latitude/longitude) in a grid.

A grid carries a boundary (a GeoJSON Polygon or MultiPolygon, holes allowed)
or only a centre point. A point lies in the grid whose boundary contains it
(even-odd ray casting, with a bounding-box prefilter in SQL); failing that, in
the grid whose centre is nearest, if that centre is within
COMMUNITY_GRID_CENTRE_MAX_METRES. Otherwise it lies outside every grid.
"""
import json
import math
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.core.errors import ValidationFailed
from community.core.extensions import db

from .models import Unit, UnitKind

EARTH_RADIUS_M = 6_371_000
MAX_VERTICES = 20_000  # per boundary: a survey-grade outline, not a data dump


def check_point(lat, long) -> tuple[float, float]:
    """Latitude and longitude as floats in range, or ValidationFailed."""
    try:
        lat, long = float(lat), float(long)
    except (TypeError, ValueError):
        raise ValidationFailed(_("经纬度必须是数字。"), field="lat") from None
    if not (math.isfinite(lat) and math.isfinite(long)) or not -90 <= lat <= 90 \
            or not -180 <= long <= 180:
        raise ValidationFailed(_("经纬度超出范围（纬度 -90 至 90，经度 -180 至 180）。"), field="lat")
    return lat, long


# -- geometry -----------------------------------------------------------------

def polygons_of(geometry) -> list[list[list[tuple[float, float]]]]:
    """The polygons of a GeoJSON geometry (or Feature), each a list of rings of
    (long, lat) pairs, the first ring the outline and the others holes."""
    if isinstance(geometry, str):
        try:
            geometry = json.loads(geometry)
        except ValueError:
            raise ValidationFailed("boundary is not valid JSON") from None
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict):
        raise ValidationFailed("boundary must be a GeoJSON Polygon or MultiPolygon")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        raw = [coordinates]
    elif kind == "MultiPolygon":
        raw = coordinates
    else:
        raise ValidationFailed(f"boundary must be a Polygon or MultiPolygon, not {kind!r}")
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed("boundary has no coordinates")
    polygons = [[_ring(ring) for ring in _list(polygon)] for polygon in raw]
    if any(not polygon for polygon in polygons):
        raise ValidationFailed("boundary has a polygon without rings")
    if sum(len(ring) for polygon in polygons for ring in polygon) > MAX_VERTICES:
        raise ValidationFailed(f"boundary has more than {MAX_VERTICES} points")
    return polygons


def _list(value) -> list:
    if not isinstance(value, list):
        raise ValidationFailed("boundary coordinates must be arrays")
    return value


def _ring(ring) -> list[tuple[float, float]]:
    points = []
    for position in _list(ring):
        if not isinstance(position, list) or len(position) < 2:
            raise ValidationFailed("a boundary position must be [longitude, latitude]")
        lat, long = check_point(position[1], position[0])
        points.append((long, lat))
    if points and points[0] != points[-1]:
        points.append(points[0])  # GeoJSON rings are closed; accept an open one
    if len(set(points)) < 3:
        raise ValidationFailed("a boundary ring needs at least three distinct points")
    return points


def _in_ring(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y):
            crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < crossing:
                inside = not inside
    return inside


def contains(polygons, lat: float, long: float) -> bool:
    """True when the point lies inside an outline and outside that outline's holes."""
    for outline, *holes in polygons:
        if _in_ring(long, lat, outline) and not any(_in_ring(long, lat, h) for h in holes):
            return True
    return False


def distance_m(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# -- storing ------------------------------------------------------------------

def _require_grid(unit: Unit) -> None:
    if unit.kind != UnitKind.GRID:
        raise ValidationFailed(f"{unit.code} is a {unit.kind}; only grids carry a boundary or centre")


def set_boundary(unit: Unit, geometry) -> None:
    """A grid's boundary places points; a community's, street's or county's is drawn on
    maps only (grid_at reads grids alone)."""
    if unit.kind == UnitKind.DEPARTMENT:
        raise ValidationFailed(f"{unit.code} is a department; departments have no boundary")
    polygons = polygons_of(geometry)
    points = [p for polygon in polygons for ring in polygon for p in ring]
    coordinates = [[[list(p) for p in ring] for ring in polygon] for polygon in polygons]
    unit.boundary = json.dumps({"type": "MultiPolygon", "coordinates": coordinates},
                               separators=(",", ":"))
    unit.bbox_west = min(p[0] for p in points)
    unit.bbox_east = max(p[0] for p in points)
    unit.bbox_south = min(p[1] for p in points)
    unit.bbox_north = max(p[1] for p in points)


def set_centre(unit: Unit, lat, long) -> None:
    _require_grid(unit)
    unit.centre_lat, unit.centre_long = check_point(lat, long)


def clear_geometry(unit: Unit) -> None:
    unit.boundary = None
    unit.bbox_west = unit.bbox_east = unit.bbox_south = unit.bbox_north = None
    unit.centre_lat = unit.centre_long = None


def load_geojson(path_or_data) -> dict:
    """Set grid boundaries and centres from a FeatureCollection whose features
    name the grid in properties.code: a Polygon/MultiPolygon sets the boundary,
    a Point the centre. Checked whole before anything is kept (caller commits)."""
    data = path_or_data
    if isinstance(path_or_data, (str, Path)):
        data = json.loads(Path(path_or_data).read_text(encoding="utf-8-sig"))
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValidationFailed("expected a GeoJSON FeatureCollection")
    by_code = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.kind == UnitKind.GRID))}
    boundaries = centres = 0
    for number, feature in enumerate(data.get("features") or [], start=1):
        code = str(((feature or {}).get("properties") or {}).get("code") or "")
        unit = by_code.get(code)
        if unit is None:
            raise ValidationFailed(f"feature {number}: no grid with code {code!r}")
        geometry = feature.get("geometry") or {}
        try:
            if geometry.get("type") == "Point":
                long, lat = (geometry.get("coordinates") or [None, None])[:2]
                set_centre(unit, lat, long)
                centres += 1
            else:
                set_boundary(unit, geometry)
                boundaries += 1
        except ValidationFailed as exc:
            raise ValidationFailed(f"feature {number} ({code}): {exc.message}") from None
    db.session.flush()
    return {"boundaries": boundaries, "centres": centres}


# -- locating -----------------------------------------------------------------

def grid_at(lat, long) -> Unit | None:
    """The active grid containing the point, else the nearest centre in range, else None."""
    lat, long = check_point(lat, long)
    candidates = db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.GRID, Unit.active.is_(True), Unit.boundary.is_not(None),
        Unit.bbox_south <= lat, Unit.bbox_north >= lat,
        Unit.bbox_west <= long, Unit.bbox_east >= long).order_by(Unit.code))
    for grid in candidates:
        if contains(polygons_of(grid.boundary), lat, long):
            return grid
    radius = float(current_app.config["COMMUNITY_GRID_CENTRE_MAX_METRES"])
    dlat = math.degrees(radius / EARTH_RADIUS_M)
    dlong = dlat / max(math.cos(math.radians(lat)), 0.01)
    nearby = db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.GRID, Unit.active.is_(True), Unit.boundary.is_(None),
        Unit.centre_lat.between(lat - dlat, lat + dlat),
        Unit.centre_long.between(long - dlong, long + dlong)))
    best, best_distance = None, None
    for grid in nearby:
        distance = distance_m(lat, long, grid.centre_lat, grid.centre_long)
        if distance <= radius and (best_distance is None or distance < best_distance):
            best, best_distance = grid, distance
    return best


def locate_point(lat, long) -> Unit:
    """Like grid_at, but a point outside every grid is a ValidationFailed that says so."""
    grid = grid_at(lat, long)
    if grid is None:
        lat, long = check_point(lat, long)
        raise ValidationFailed(
            _("位置（纬度 %(lat)s，经度 %(long)s）不在本平台任何网格的范围内，"
              "请核对经纬度，或改填地址。", lat=f"{lat:.6f}", long=f"{long:.6f}"), field="lat")
    return grid
