"""Areas as the admin edits them: create a street, community or grid under its parent,
rename any unit, and load grid boundaries (GeoJSON, community.areas.geo). A unit is
never deleted here: requests and figures name it; a unit is deactivated instead."""
import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from community.areas import geo
from community.areas.models import PARENT_KIND, Unit, UnitKind
from community.areas.services import load_areas, unit_by_code
from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db

from . import audit

MAX_GEOJSON = 5 * 1024 * 1024  # a county's grids fit many times over


def children(parent: Unit | None) -> list[Unit]:
    query = select(Unit).order_by(Unit.kind, Unit.code)
    query = query.where(Unit.parent_id.is_(None)) if parent is None else query.where(Unit.parent_id == parent.id)
    return list(db.session.scalars(query))


def child_counts(units: list[Unit]) -> dict[int, int]:
    ids = [u.id for u in units]
    if not ids:
        return {}
    return dict(db.session.execute(select(Unit.parent_id, func.count(Unit.id))
                                   .where(Unit.parent_id.in_(ids)).group_by(Unit.parent_id)).all())


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound()
    return unit


def _name(value: str) -> str:
    name = (value or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed(_("名称为 1 到 100 个字。"), field="name")
    return name


def create_unit(actor, now: datetime, parent: Unit, *, kind: str, code: str, name: str,
                address_hints: str = "") -> Unit:
    """A new unit under `parent`, of a kind that belongs there (a grid in a community …)."""
    if kind not in PARENT_KIND or PARENT_KIND[UnitKind(kind)] != parent.kind:
        raise ValidationFailed(_("这一级下面不能建这种单位。"), field="kind")
    code = (code or "").strip()
    if not code or len(code) > 32 or any(c.isspace() for c in code):
        raise ValidationFailed(_("编码为 1 到 32 个字符，不含空格。"), field="code")
    if unit_by_code(code) is not None:
        raise ValidationFailed(_("这个编码已经存在。"), field="code")
    name = _name(name)
    load_areas([{"kind": kind, "code": code, "name": name, "parent_code": parent.code,
                 "address_hints": (address_hints or "").strip()}])
    unit = unit_by_code(code)
    audit.record(actor, now, "unit.create", f"unit:{code}", kind=kind, name=name, parent=parent.code)
    return unit


def update_unit(actor, now: datetime, unit: Unit, *, name: str, address_hints: str | None,
                active: bool) -> None:
    """Rename, change a grid's address words, (de)activate."""
    values = {"name": _name(name), "active": bool(active)}
    if unit.kind == UnitKind.GRID and address_hints is not None:
        values["address_hints"] = ",".join(h.strip() for h in address_hints.replace("，", ",").split(",")
                                           if h.strip())
    changed = {k: v for k, v in values.items() if getattr(unit, k) != v}
    if not changed:
        return
    before = {k: getattr(unit, k) for k in changed}
    for key, value in changed.items():
        setattr(unit, key, value)
    audit.record(actor, now, "unit.update", f"unit:{unit.code}", before=before, after=changed)


def upload_boundaries(actor, now: datetime, raw: bytes) -> dict:
    """Grid boundaries and centres from a GeoJSON FeatureCollection (properties.code
    names the grid); checked whole before anything is kept."""
    if not raw:
        raise ValidationFailed(_("请选择一个 GeoJSON 文件。"), field="file")
    if len(raw) > MAX_GEOJSON:
        raise ValidationFailed(_("文件太大（最多 5 MB）。"), field="file")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed(_("文件不是有效的 GeoJSON。"), field="file") from None
    try:
        result = geo.load_geojson(data)
    except ValidationFailed as exc:
        raise ValidationFailed(_("边界文件有误：%(detail)s", detail=exc.message), field="file") from None
    codes = sorted({str((f.get("properties") or {}).get("code")) for f in data.get("features") or []})
    audit.record(actor, now, "unit.boundaries", "units", grids=codes[:200], **result)
    return result


def units_of_kind(kind: UnitKind) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.kind == kind).order_by(Unit.code)))
