"""The street and county dashboards' map: their grids shaded by a chosen figure, and
the period's requests as points by category; the table beside it lists the same.

满意率 follows the ranking's sample rule: a grid with fewer valid ratings than
COMMUNITY_RANKING_MIN_RATINGS is not shaded (drawn dashed, 样本不足), whatever its rate.
"""
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from community.areas import maps, shapes
from community.areas.models import Unit, UnitKind
from community.core.bulkdb import any_of
from community.core.extensions import db
from community.web.labels import category_label
from community.tickets.models import Ticket, overdue_clause
from community.core.timeutil import local_zone

from . import queries
from .formulas import Params, rate_of

FIGURES = {"requests": _l("诉求量"), "overdue": _l("当前超期"), "satisfaction": _l("满意率")}
# The grids a reader looks at first, per figure: the dashboard lists the first few, the
# grids page all of them, in this order (a county has some 780: nobody reads them whole).
ORDER = {"requests": _l("诉求量最多的在前"), "overdue": _l("超期最多的在前"),
         "satisfaction": _l("满意率最低的在前，样本不足的排在最后")}
SCOPE = {UnitKind.STREET: Ticket.street_id, UnitKind.COUNTY: Ticket.county_id}
SCOPE_OF_UNIT = {UnitKind.STREET: Unit.street_id, UnitKind.COUNTY: Unit.county_id}


def chosen_figure(value: str | None) -> str:
    return value if value in FIGURES else "requests"


def dashboard_map(unit: Unit, figure: str, start: date, end: date, now: datetime,
                  params: Params, shown: int) -> dict | None:
    """The map's JSON, its legends, and the first `shown` grids for the table beside it
    (grid_rows' order; `total` says how many there are); None outside streets and
    counties or when no grid has a boundary."""
    found = grid_rows(unit, figure, start, end, now, params)
    if found is None:
        return None
    rows, properties = found
    points, legend = _points(unit, start, end)
    outlines = {"url": url_for("stats.grid_outlines", unit_id=unit.id, v=shapes.version() or None),
                "properties": properties}
    return {"rows": rows[:shown], "total": len(rows), "any_few": any(r["few"] for r in rows),
            "figure": figure, "legend": legend,
            "json": maps.map_data(points=points, outlines=outlines,
                                  point_labels=[str(label) for _c, label, _n in legend]),
            "points": len(points), "shades": _shade_ranges(rows)}


def grid_rows(unit: Unit, figure: str, start: date, end: date, now: datetime,
              params: Params) -> tuple[list[dict], dict] | None:
    """Every drawn grid of a street or county with its value of `figure` and its shade,
    in ORDER, and the map's properties by grid id (each grid's shade and label; the
    outlines come apart, areas.shapes). None outside streets and counties or when no
    grid has a boundary. The dashboard's table and the grids page both read this."""
    if UnitKind(unit.kind) not in SCOPE:
        return None
    grids = _grids(unit)
    if not grids:
        return None
    communities = dict(db.session.execute(
        select(Unit.id, Unit.name).where(any_of(Unit.id, {g.community_id for g in grids}))).all())
    values, rows = _values(unit, figure, grids, start, end, now, params), []
    shades = maps.shade({g.id: v["value"] for g, v in zip(grids, values) if not v["few"]})
    properties, few_note = {}, f"（{_('样本不足')}）"
    for grid, v in zip(grids, values):
        level = shades.get(grid.id)
        label = v["text"] + (few_note if v["few"] else "")
        properties[grid.id] = {"shade": level, "few": v["few"], "label": label}
        rows.append({"grid": grid, "community": communities.get(grid.community_id, ""),
                     "value": v["value"], "text": v["text"], "n": v["n"], "few": v["few"],
                     "shade": level})
    rows.sort(key=_worst_first(figure))
    return rows, properties


def _worst_first(figure: str):
    """ORDER as a sort key: the most requests or overdue first; the lowest 满意率 first,
    those under the sample rule last (a rate of three ratings is no worst); then by code."""
    if figure == "satisfaction":
        return lambda r: (r["few"], 2.0 if r["value"] is None else r["value"], r["grid"].code)
    return lambda r: (-r["value"], r["grid"].code)


def _grids(unit: Unit) -> list:
    """(id, code, name, community_id) of the grids areas.shapes draws, in its order."""
    return db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.community_id).where(
        SCOPE_OF_UNIT[UnitKind(unit.kind)] == unit.id, Unit.kind == UnitKind.GRID,
        Unit.active.is_(True), Unit.boundary.is_not(None)).order_by(Unit.code)).all()


def _values(unit, figure, grids, start, end, now, params) -> list[dict]:
    ids = [g.id for g in grids]
    if figure == "overdue":
        counted = dict(db.session.execute(
            select(Ticket.grid_id, func.count(Ticket.id))
            .where(SCOPE[UnitKind(unit.kind)] == unit.id, overdue_clause(now))
            .group_by(Ticket.grid_id)).all())
        return [{"value": counted.get(i, 0), "text": str(counted.get(i, 0)), "n": None, "few": False}
                for i in ids]
    sums = queries.sum_by_unit(ids, start, end)
    if figure == "requests":
        return [{"value": sums[i]["filed"], "text": str(sums[i]["filed"]), "n": None, "few": False}
                for i in ids]
    out = []
    for i in ids:
        rate, n = rate_of(sums[i], "satisfaction_rate", params)
        out.append({"value": rate, "n": n, "few": n < params.min_sample,
                    "text": "—" if rate is None else f"{rate * 100:.1f}%"})
    return out


def _shade_ranges(rows) -> list[tuple[int, str]]:
    """The legend: each shade class with the range of values it holds."""
    out = []
    for level in range(maps.SHADES):
        held = [r for r in rows if r["shade"] == level]
        if held:
            low, high = min(held, key=lambda r: r["value"]), max(held, key=lambda r: r["value"])
            out.append((level, low["text"] if low is high or low["text"] == high["text"]
                        else f"{low['text']} – {high['text']}"))
    return out


def _points(unit, start, end):
    """The period's requests that carry a point, latest first, up to
    COMMUNITY_MAP_MAX_POINTS; the legend counts them by category."""
    zone = local_zone()
    since = datetime.combine(start, time(), zone).astimezone(timezone.utc)
    until = datetime.combine(end + timedelta(days=1), time(), zone).astimezone(timezone.utc)
    limit = int(current_app.config.get("COMMUNITY_MAP_MAX_POINTS", 2000))
    found = db.session.execute(
        select(Ticket.latitude, Ticket.longitude, Ticket.category_id)
        .where(SCOPE[UnitKind(unit.kind)] == unit.id, Ticket.submitted_at >= since,
               Ticket.submitted_at < until, Ticket.latitude.is_not(None))
        .order_by(Ticket.submitted_at.desc()).limit(limit)).all()
    from community.tickets.models import Category

    categories = {c.id: c for c in db.session.scalars(
        select(Category).where(Category.id.in_({row.category_id for row in found})))}
    order = sorted(categories, key=lambda i: (categories[i].sort_order, categories[i].code))
    index = {cid: n for n, cid in enumerate(order)}
    labels = {cid: category_label(categories[cid]) for cid in order}
    counts = {cid: 0 for cid in order}
    points = []
    for row in found:
        counts[row.category_id] += 1
        # [lat, long, category's index]: 2,000 of them, the label once (map_data's
        # point_labels), 5 decimals (about a metre).
        points.append([round(row.latitude, 5), round(row.longitude, 5), index[row.category_id]])
    legend = [(index[cid], labels[cid], counts[cid]) for cid in order]
    return points, legend


PUBLIC_FIGURES = {"satisfaction_rate": _l("满意率"), "solve_rate": _l("解决率"),
                  "valid_ratings": _l("有效评价数")}


def public_map(ranked: list[dict], unranked: list[dict], params: Params,
               figure: str | None = None) -> dict | None:
    """/public: communities shaded by a published figure of the league's rows; a rate
    under the sample rule (fewer than the minimum in its sample) is left unshaded.
    Areas only: no request's point is ever public."""
    figure = figure if figure in PUBLIC_FIGURES else "satisfaction_rate"
    rows = [r for r in ranked + unranked if r["unit"].boundary]
    if not rows:
        return None
    features, table, values = [], [], {}
    for r in rows:
        unit, f = r["unit"], r["f"]
        if figure == "valid_ratings":
            value, n, few = f["valid_ratings"], None, False
            text = str(value)
        else:
            value, n = f[figure], f[f"{figure}_n"]
            few = value is None or n < params.min_sample
            text = "—" if value is None else f"{value * 100:.1f}%"
        if not few:
            values[unit.id] = value
        table.append({"unit": unit, "text": text, "n": n, "few": few, "value": value})
    shades = maps.shade(values)
    for row in table:
        row["shade"] = shades.get(row["unit"].id)
        features.append(maps.feature(row["unit"], shade=row["shade"], few=row["few"],
                                     label=row["text"] + (f"（{_('样本不足')}）" if row["few"] else "")))
    table.sort(key=lambda t: (t["few"], -(t["value"] or 0), t["unit"].code))
    return {"rows": table, "json": maps.map_data(features), "shades": _shade_ranges(table),
            "figure": figure}
