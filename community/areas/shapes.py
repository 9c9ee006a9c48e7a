"""The grid outlines under a street or county as one GeoJSON text, kept per process.

A county's map has some 700 grids; parsing and re-encoding their boundaries on every
dashboard view cost most of the page (issue 30). The outlines change only when the
areas do, so each process builds a unit's text once per areas version (a token in
Redis, core.versions, renewed after any commit that writes a unit) and the browser
fetches it apart from the page, at an address carrying the version, so it can keep it.
"""
import json
import time
from collections import OrderedDict

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import object_session

from community.core import versions
from community.core.extensions import db

from .models import Unit, UnitKind

VERSION_KEY = versions.register("community:areas:version")
CACHE_SECONDS = 600  # without Redis's token a change reaches other processes this late
KEPT = 64            # units whose text a process keeps (a county's is a few hundred KB)
_kept: OrderedDict = OrderedDict()  # unit id -> (version, built at, text)

SCOPE = {UnitKind.COUNTY: Unit.county_id, UnitKind.STREET: Unit.street_id,
         UnitKind.COMMUNITY: Unit.community_id}


def version() -> str:
    """The areas' version now ("" when Redis cannot say: then nothing is kept)."""
    try:
        value = versions.started(VERSION_KEY)
    except (RedisError, OSError):  # Redis away: build every time, say no version
        return ""
    return value.decode() if isinstance(value, bytes) else str(value or "")


def grid_outlines(unit: Unit, now: float | None = None) -> tuple[str, str]:
    """(version, GeoJSON FeatureCollection text) of the active grids with a boundary in
    `unit` (a street, county or community), each with its id, code and name."""
    now = time.monotonic() if now is None else now
    current = version()
    if versions.changing(db.session, VERSION_KEY):
        return current, _build(unit)  # this transaction's own rows: not for anyone else
    held = _kept.get(unit.id)
    if current and held and held[0] == current and now - held[1] < CACHE_SECONDS:
        _kept.move_to_end(unit.id)
        return current, held[2]
    text = _build(unit)
    if current:
        _kept[unit.id] = (current, now, text)
        _kept.move_to_end(unit.id)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return current, text


def _build(unit: Unit) -> str:
    rows = db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.boundary).where(
        SCOPE[UnitKind(unit.kind)] == unit.id, Unit.kind == UnitKind.GRID, Unit.active.is_(True),
        Unit.boundary.is_not(None)).order_by(Unit.code))
    # The stored boundary is GeoJSON written by geo.set_boundary: joined as it is, not
    # parsed and encoded again.
    features = ['{"type":"Feature","geometry":%s,"properties":%s}' % (
        boundary, json.dumps({"id": id_, "code": code, "name": name}, ensure_ascii=False))
        for id_, code, name, boundary in rows]
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def forget() -> None:
    _kept.clear()


def _row_changed(_mapper, _connection, target) -> None:
    """after_insert / after_update / after_delete of a Unit (community.wiring): after the
    commit every process builds its outlines again."""
    session = object_session(target)
    if session is not None:
        versions.change(session, VERSION_KEY)
