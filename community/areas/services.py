"""Loading areas and answering where a request belongs."""
import csv
import functools
import re
from pathlib import Path

import yaml
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import aliased

from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db

from .models import PARENT_KIND, TIERS, Unit, UnitKind

AREA_FIELDS = ("kind", "code", "name", "parent_code", "address_hints")


def read_area_rows(path: Path) -> list[dict]:
    """Rows from a CSV (header: kind,code,name,parent_code[,address_hints]) or YAML list."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if Path(path).suffix.lower() in (".yml", ".yaml"):
        rows = yaml.safe_load(text) or []
    else:
        rows = list(csv.DictReader(text.splitlines()))
    if not isinstance(rows, list):
        raise ValidationFailed(f"{path}: expected a list of areas")
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ValidationFailed(f"row {number}: expected kind, code, name, parent_code")
    return [{k: _cell(r.get(k)) for k in AREA_FIELDS} for r in rows]


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):  # YAML may list address hints
        return ",".join(str(v).strip() for v in value)
    return "" if value is None else str(value).strip()


def load_areas(rows: list[dict]) -> dict:
    """Create or update units by code; parents must come first or already exist.

    All rows are checked before anything is kept: a bad row raises and the
    caller rolls back, so a file loads whole or not at all.
    """
    by_code = {u.code: u for u in db.session.scalars(select(Unit))}
    created = updated = 0
    for number, row in enumerate(rows, start=1):
        kind = row["kind"]
        if kind not in UnitKind.__members__.values():
            raise ValidationFailed(f"row {number}: unknown kind {kind!r}")
        if not row["code"] or not row["name"]:
            raise ValidationFailed(f"row {number}: code and name are required")
        parent = None
        if kind != UnitKind.COUNTY:
            parent = by_code.get(row["parent_code"])
            if parent is None or parent.kind != PARENT_KIND[UnitKind(kind)]:
                raise ValidationFailed(
                    f"row {number}: {kind} {row['code']} needs a "
                    f"{PARENT_KIND[UnitKind(kind)]} parent, got {row['parent_code']!r}"
                )
        unit = by_code.get(row["code"])
        if unit is None:
            unit = Unit(code=row["code"], kind=kind)
            db.session.add(unit)
            by_code[unit.code] = unit
            created += 1
        elif unit.kind != kind:
            raise ValidationFailed(f"row {number}: {row['code']} is already a {unit.kind}")
        else:
            updated += 1
        unit.name = row["name"]
        unit.address_hints = row.get("address_hints", "")
        moved = unit.id is not None and unit.parent_id != (parent.id if parent else None)
        _place(unit, parent)
        if moved:
            _replace_below(unit)
    db.session.flush()
    return {"created": created, "updated": updated}


def _replace_below(unit: Unit) -> None:
    """A unit moved to another parent: the chain ids copied into the units below
    it follow (a community moved to another street takes its grids along)."""
    children = list(db.session.scalars(select(Unit).where(Unit.parent_id == unit.id)))
    for child in children:
        _place(child, unit)
        _replace_below(child)


def _place(unit: Unit, parent: Unit | None) -> None:
    unit.parent = parent
    if parent is None:
        unit.county_id = unit.street_id = unit.community_id = None
        return
    db.session.flush()  # parent ids are needed below
    unit.parent_id = parent.id
    unit.county_id = parent.id if parent.kind == UnitKind.COUNTY else parent.county_id
    unit.street_id = parent.id if parent.kind == UnitKind.STREET else parent.street_id
    unit.community_id = parent.id if parent.kind == UnitKind.COMMUNITY else parent.community_id


def get_unit(unit_id, kind: UnitKind | None = None) -> Unit:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None or not unit.active or (kind and unit.kind != kind):
        raise NotFound()
    return unit


def unit_by_code(code: str) -> Unit | None:
    return db.session.scalar(_by_code(), {"code": code})


@functools.cache
def _by_code():
    return select(Unit).where(Unit.code == bindparam("code"))


def list_units(kind: UnitKind, parent_id: int | None = None) -> list[Unit]:
    query = select(Unit).where(Unit.kind == kind, Unit.active.is_(True))
    if parent_id is not None:
        query = query.where(Unit.parent_id == parent_id)
    return list(db.session.scalars(query.order_by(Unit.code)))


def community_names(*where, limit: int | None = None) -> list[tuple[int, str, str]]:
    """(id, name, its active street's name or "") of every active community (or those
    `where` picks), by code: plain rows in one statement, for a list of 1,800 on every
    filing form."""
    street = aliased(Unit)
    return db.session.execute(
        select(Unit.id, Unit.name, street.name)
        .outerjoin(street, and_(street.id == Unit.parent_id, street.kind == UnitKind.STREET,
                                street.active.is_(True)))
        .where(Unit.kind == UnitKind.COMMUNITY, Unit.active.is_(True), *where)
        .order_by(Unit.code).limit(limit)).all()


def communities_around(unit: Unit | None) -> list[tuple[int, str, str]]:
    """community_names() of a staff member's own area: a county's or a department's
    county's, a street's, a community's or a grid's street's; none for a unit-less
    role (the admin), who finds one by name."""
    if unit is None:
        return []
    if unit.kind in (UnitKind.COUNTY, UnitKind.STREET):
        column = Unit.county_id if unit.kind == UnitKind.COUNTY else Unit.street_id
        return community_names(column == unit.id)
    if unit.kind == UnitKind.DEPARTMENT:
        return community_names(Unit.county_id == unit.county_id)
    return community_names(Unit.street_id == unit.street_id)


def community_named(community_id) -> list[tuple[int, str, str]]:
    """community_names() of the one community `community_id` (a form's value), if active."""
    if not str(community_id or "").isdigit():
        return []
    return community_names(Unit.id == int(community_id))


def find_communities(text: str, limit: int = 50) -> list[tuple[int, str, str]]:
    """community_names() whose own or street's name holds `text`, at most `limit`."""
    text = (text or "").strip()[:50]
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    street = aliased(Unit)
    in_street = select(street.id).where(street.kind == UnitKind.STREET,
                                        street.name.ilike(pattern, escape="\\"))
    return community_names(or_(Unit.name.ilike(pattern, escape="\\"), Unit.parent_id.in_(in_street)),
                           limit=limit)



def community_choices(with_blank=True, rows=None):
    """The communities (all, or `rows` of community_names()) as a select's choices,
    "street · community", for forms."""
    choices = [("", _("请选择社区"))] if with_blank else []
    choices += [(str(unit_id), f"{street or ''} · {name}")
                for unit_id, name, street in (community_names() if rows is None else rows)]
    return choices


def community_area(community_id: int) -> tuple[Unit | None, list[Unit], list[Unit]]:
    """The community, its active grids (by code) and the units above it (street,
    county), in one statement: what routing a filing needs. The caller keeps the
    lists while it works, so later look-ups by id (unit_at_tier) find the rows
    in the session without a query."""
    rows = list(db.session.scalars(_area_query(), {"id": community_id}))
    return _split_area(rows, next((u for u in rows if u.id == community_id), None))


def community_area_by_code(code: str) -> tuple[Unit | None, list[Unit], list[Unit]]:
    """community_area() for a unit named by its code (the API names communities
    so): the same statement finds the code, so no look-up by code comes first.
    The caller checks that the unit is an active community."""
    rows = list(db.session.scalars(_area_query("code"), {"code": code}))
    return _split_area(rows, next((u for u in rows if u.code == code), None))


def _split_area(rows: list[Unit], community: Unit | None):
    if community is None:
        return None, [], []
    grids = [u for u in rows if u.parent_id == community.id and u.kind == UnitKind.GRID and u.active]
    above = [u for u in rows if u is not community and u not in grids]
    return community, grids, above


@functools.cache
def _area_query(key: str = "id"):
    """Built once (building it costs more than running it); the community is named by
    the parameter `key`: its id, or its code (as the API names it)."""
    this, value = aliased(Unit), bindparam(key)
    named = getattr(this, key) == value
    community = value if key == "id" else select(this.id).where(named).scalar_subquery()
    street = select(this.street_id).where(named).scalar_subquery()
    county = select(this.county_id).where(named).scalar_subquery()
    return select(Unit).where(or_(
        Unit.id == community, Unit.id == street, Unit.id == county,
        and_(Unit.parent_id == community, Unit.kind == UnitKind.GRID, Unit.active.is_(True)))
    ).order_by(Unit.code)  # the database's order, as list_units


def locate_grid(community: Unit, address: str = "", grid_id: int | None = None,
                grids: list[Unit] | None = None) -> Unit:
    """The grid a request belongs to (see choose_grid)."""
    return choose_grid(community, address, grid_id, grids)[0]


def choose_grid(community: Unit, address: str = "", grid_id: int | None = None,
                grids: list[Unit] | None = None) -> tuple[Unit, bool]:
    """(grid, sure): the one named, else the one with the longest address word found in
    the address, else the community's only grid; failing all three, the community's
    first grid (by code) with sure=False, so the request says its grid is a stand-in
    (Ticket.grid_unsure) instead of silently belonging to the first grid.

    `grids`: the community's active grids by code, when the caller has them
    (community_area); else they are loaded here."""
    if grids is None:
        grids = list_units(UnitKind.GRID, community.id)
    if not grids:
        raise ValidationFailed(_("%(name)s 还没有网格。", name=community.name), field="community")
    if grid_id:
        for grid in grids:
            if grid.id == grid_id:
                return grid, True
        raise ValidationFailed(_("所选网格不属于该社区。"), field="grid")
    best, best_length = grids[0], 0
    for grid in grids:
        for hint in grid.hints():
            if len(hint) > best_length and hint_in_address(hint, address):
                best, best_length = grid, len(hint)
    return best, best_length > 0 or len(grids) == 1


def hint_in_address(hint: str, address: str) -> bool:
    """"2号楼" is found in "2号楼3单元" but not in "12号楼": a number at either
    end of a hint must not be part of a longer number in the address."""
    pattern = re.escape(hint)
    if hint[:1].isdigit():
        pattern = r"(?<!\d)" + pattern
    if hint[-1:].isdigit():
        pattern += r"(?!\d)"
    return re.search(pattern, address or "") is not None


def unit_at_tier(grid: Unit, tier: UnitKind) -> Unit:
    """The office that handles at `tier` for a request located in `grid`."""
    return grid if tier == UnitKind.GRID else db.session.get(Unit, unit_id_at(grid, tier))


def unit_id_at(grid, tier) -> int | None:
    """unit_at_tier by id, on a Unit or a plain row with its columns (the sweep's
    set-based path): None when there is no grid or it lacks that tier's unit."""
    if grid is None:
        return None
    if tier == UnitKind.GRID:
        return grid.id
    return {UnitKind.COMMUNITY: grid.community_id, UnitKind.STREET: grid.street_id,
            UnitKind.COUNTY: grid.county_id}[UnitKind(tier)]


def tier_above(tier: UnitKind) -> UnitKind | None:
    index = TIERS.index(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


def is_within(unit: Unit, scope: Unit) -> bool:
    """True when `unit` is `scope` or lies below it."""
    if unit.id == scope.id:
        return True
    return scope.id in (unit.county_id, unit.street_id, unit.community_id)


def community_in_address(address: str) -> Unit | None:
    """The community whose name appears in a free-text address (the longest
    name wins; a name shared by communities of two streets needs the street's
    name in the address too). None when nothing or more than one matches."""
    address = (address or "").strip()
    if not address:
        return None
    matches = [c for c in list_units(UnitKind.COMMUNITY) if c.name and c.name in address]
    if not matches:
        return None
    longest = max(len(c.name) for c in matches)
    matches = [c for c in matches if len(c.name) == longest]
    if len(matches) > 1:
        streets = {s.id: s.name for s in list_units(UnitKind.STREET)}
        matches = [c for c in matches if streets.get(c.street_id, "\0") in address]
    return matches[0] if len(matches) == 1 else None
