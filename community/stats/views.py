"""Dashboards (/stats/units/<id>) and exports, for the unit's own staff and the units above."""
import json
from datetime import timedelta

from flask import Blueprint, Response, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from community.areas import shapes
from community.areas.models import Unit, UnitKind
from community.core.errors import NotFound
from community.core.paging import page_count, page_error, positive_number
from community.core.extensions import db
from community.web.labels import category_label
from community.core.replica import reads_from_replica
from community.core.timeutil import to_local, utcnow
from community.auth.decorators import staff_required

from . import access, export, maps, queries
from .reasons import reason_counts
from .formulas import FORMULA_VERSION, RATE_LABELS, Params, figures

bp = reads_from_replica(Blueprint("stats", __name__))  # dashboards and exports


@bp.app_template_filter("pct")
def pct(value, digits=1):
    return "—" if value is None else f"{value * 100:.{digits}f}%"


@bp.app_template_global("rate")
def rate(f: dict, key: str) -> Markup:
    """A rate with its sample and 95 % Wilson band: 72.0% n=25 (52–86%). A function, not a
    macro: a county's league calls it hundreds of times per page."""
    text = escape(pct(f.get(key)))
    n = f.get(f"{key}_n")
    if n:
        low = f.get(f"{key}_low")
        band = f" ({pct(low, 0)}–{pct(f.get(f'{key}_high'), 0)})" if low is not None else ""
        text += Markup('<small class="sample"> n={}{}</small>').format(n, band)
    return Markup(text)


def period():
    days = request.args.get("days", 28, type=int)
    days = days if days in queries.PERIODS else 28
    today = to_local(utcnow()).date()
    return days, today - timedelta(days=days - 1), today


@bp.get("/stats")
@staff_required
def home():
    unit_id = current_user.unit_id
    if unit_id is None:  # an admin: start at the first county
        county = db.session.scalar(db.select(Unit).where(Unit.kind == UnitKind.COUNTY).order_by(Unit.code))
        if county is None:
            raise NotFound()
        unit_id = county.id
    return redirect(url_for("stats.dashboard", unit_id=unit_id))


@bp.get("/stats/units/<int:unit_id>")
@staff_required
def dashboard(unit_id):
    unit = queries.visible_unit(current_user, unit_id)
    params = Params.from_config(current_app.config)
    days, start, today = period()
    now = utcnow()
    kids, depts = queries.children(unit), queries.departments(unit)
    sums = queries.sum_by_unit([unit.id] + [k.id for k in kids + depts], start, today)
    own = figures(sums[unit.id], params)
    ranked, unranked = queries.league(kids, sums, params)
    dept_ranked, dept_unranked = queries.league(depts, sums, params)
    trend = [(week, figures(c, params)) for week, c in queries.weekly_trend(unit.id, today)]
    scope = access.worker_scope(current_user, unit)
    workers = None if scope is None else queries.workers(
        unit, start, today, params, only_user=current_user.id if scope == "own" else None)
    cats = queries.categories(unit.id, start, today, params) if unit.kind in ("street", "county") else []
    overdue_count, overdue = queries.overdue_now(unit, now)
    cases_count, cases = queries.open_cases(unit)
    reason_units = [unit] + kids + depts
    reasons = reason_counts(reason_units, start, today)
    charts = _charts(ranked + unranked, trend, cats)
    figure = maps.chosen_figure(request.args.get("map"))
    area_map = maps.dashboard_map(unit, figure, start, today, now, params,
                                  current_app.config["COMMUNITY_DASHBOARD_GRID_ROWS"])
    return render_template(
        "stats/dashboard.html", unit=unit, days=days, start=start, today=today, own=own,
        counts=sums[unit.id], ranked=ranked, unranked=unranked, trend=trend, cats=cats[:8],
        dept_ranked=dept_ranked, dept_unranked=dept_unranked, workers=workers, worker_scope=scope,
        overdue_count=overdue_count, overdue=overdue, cases_count=cases_count, cases=cases,
        params=params, version=FORMULA_VERSION, periods=queries.PERIODS, now=now,
        charts={k: json.dumps(v, ensure_ascii=False) for k, v in charts.items()},
        parent=_visible_parent(unit), labels=plain_labels(), reason_units=reason_units,
        reasons=reasons, area_map=area_map, map_figures=maps.FIGURES,
        map_order=maps.ORDER[figure])


@bp.get("/stats/units/<int:unit_id>/grids.json")
@staff_required
def grid_outlines(unit_id):
    """The dashboard map's grid outlines (GeoJSON), for whoever may see the dashboard.
    Asked for with the areas' version (?v=), the browser keeps the answer for a day."""
    unit = queries.visible_unit(current_user, unit_id)
    if unit.kind not in maps.SCOPE:
        raise NotFound()
    version, text = shapes.grid_outlines(unit)
    response = Response(text, mimetype="application/json")
    if version:
        response.set_etag(f"{version}-{unit.id}")
    kept = version and request.args.get("v") == version
    response.headers["Cache-Control"] = "private, max-age=86400" if kept else "private, no-cache"
    return response.make_conditional(request)


@bp.get("/stats/units/<int:unit_id>/grids")
@staff_required
def grid_table(unit_id):
    """Every grid of a street's or county's map, a page at a time, in the order the
    dashboard lists its first few (maps.ORDER): the same rows, the same numbers."""
    unit = queries.visible_unit(current_user, unit_id)
    if unit.kind not in maps.SCOPE:
        raise NotFound()
    page = positive_number(request.args, "page", _("页码应为从 1 起的整数。")) or 1
    days, start, today = period()
    figure = maps.chosen_figure(request.args.get("map"))
    params = Params.from_config(current_app.config)
    found = maps.grid_rows(unit, figure, start, today, utcnow(), params)
    rows = found[0] if found else []
    size = current_app.config["COMMUNITY_PAGE_SIZE"]
    pages = page_count(len(rows), size)
    if page > pages:
        raise page_error(pages)
    return render_template(
        "stats/grids.html", unit=unit, days=days, start=start, today=today, figure=figure,
        rows=rows[(page - 1) * size:page * size], total=len(rows), page=page, pages=pages,
        periods=queries.PERIODS, map_figures=maps.FIGURES, figure_label=str(maps.FIGURES[figure]),
        order=maps.ORDER[figure], params=params)


def plain_labels() -> dict:
    """The rate names translated once per request, not once per table cell."""
    return {key: str(label) for key, label in RATE_LABELS.items()}


def _visible_parent(unit):
    if unit.parent_id is None:
        return None
    try:
        return queries.visible_unit(current_user, unit.parent_id)
    except NotFound:
        return None


CHART_RATES = ("response_rate", "solve_rate", "satisfaction_rate", "composite")


def _point(f, key):
    """One point or bar for static/js/dashboard.js: the rate in %, its sample n, its
    Wilson band, and `few` (fewer valid ratings than the minimum sample: drawn hollow
    and grey, with its n) so a week of one rating never looks like a week of 200."""
    def pct(v):
        return None if v is None else round(v * 100, 1)
    return {"value": pct(f[key]), "n": f[f"{key}_n"], "low": pct(f.get(f"{key}_low")),
            "high": pct(f.get(f"{key}_high")), "few": f["few"]}


def _charts(units, trend, cats):
    """Chart data; the tables beside them show the same, with n per row."""
    def series(rows, keys):
        return [{"name": str(RATE_LABELS[key]), "data": [_point(f, key) for f in rows]} for key in keys]

    return {
        "league": {"type": "bar", "labels": [r["unit"].name for r in units],
                   "series": series([r["f"] for r in units], CHART_RATES)},
        "trend": {"type": "line", "labels": [w.isoformat() for w, _ in trend],
                  "series": series([f for _, f in trend], CHART_RATES)},
        "categories": {"type": "bar", "labels": [category_label(c["category"]) for c in cats[:8]],
                       "series": series([c["f"] for c in cats[:8]], ("satisfaction_rate", "bad_rate"))},
    }


@bp.get("/stats/units/<int:unit_id>/export/<what>.<fmt>")
@staff_required
def export_view(unit_id, what, fmt):
    unit = queries.visible_unit(current_user, unit_id)
    if what not in ("figures", "requests", "workers", "reasons") or fmt not in ("csv", "xlsx"):
        raise NotFound()
    days, start, today = period()
    params = Params.from_config(current_app.config)
    if what == "workers":
        scope = access.worker_scope(current_user, unit)
        if scope is None:
            raise NotFound()
        header, rows = export.worker_rows(unit, start, today, params,
                                          only_user=current_user.id if scope == "own" else None)
        batches = [rows]
    elif what == "figures":
        header, rows = export.figure_rows(unit, start, today, params)
        batches = [rows]
    elif what == "reasons":
        header, rows = export.reason_rows(unit, start, today)
        batches = [rows]
    else:
        header, batches = export.request_rows(unit, start, today,
                                              current_app.config["COMMUNITY_EXPORT_MAX_ROWS"])
    name = f"{what}-{unit.code}-{start.isoformat()}-{today.isoformat()}.{fmt}"
    body, mimetype = (export.as_csv(header, batches), "text/csv; charset=utf-8") if fmt == "csv" else \
        (export.as_xlsx(header, batches, what),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    # Sent as it is written (the request's context kept for the rows still to read).
    body = stream_with_context(body)
    # content_type, not mimetype: Werkzeug adds a charset to a text/* mimetype (it was doubled).
    return Response(body, content_type=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})
