"""/public: figures by county, street and community, the formulas with their version,
and recent requests (text only where the resident allowed it). Nobody's identity."""
from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community.areas.models import Unit, UnitKind
from community.core.extensions import db
from community.ratings.models import Resolution
from community.core.replica import reads_from_replica
from community.stats import queries
from community.stats.maps import PUBLIC_FIGURES, public_map
from community.stats.formulas import FORMULA_VERSION, Params, figures, formula_text
from community.stats.views import plain_labels
from community.tickets.models import Ticket, TicketPhoto
from community.tickets.states import State
from community.core.timeutil import to_local, utcnow

bp = reads_from_replica(Blueprint("public", __name__))
RECENT = 20


@bp.get("/public")
def index():
    """Every county's league; within the county chosen (the only one, in a one-county
    installation), its departments, streets and communities, or one street's communities.
    A city has thousands of communities: one page of all of them was a megabyte of HTML."""
    params = Params.from_config(current_app.config)
    days = request.args.get("days", 28, type=int)
    days = days if days in queries.PERIODS else 28
    today = to_local(utcnow()).date()
    start = today - timedelta(days=days - 1)
    counties = _active(Unit.kind == UnitKind.COUNTY)
    county = _chosen(counties, request.args.get("county"), default_single=True)
    streets = _active(Unit.kind == UnitKind.STREET, Unit.county_id == county.id) if county else []
    street = _chosen(streets, request.args.get("street"))
    shown = {UnitKind.COUNTY: counties}
    if county is not None:
        shown[UnitKind.DEPARTMENT] = _active(Unit.kind == UnitKind.DEPARTMENT, Unit.county_id == county.id)
        shown[UnitKind.STREET] = streets
        shown[UnitKind.COMMUNITY] = _active(
            Unit.kind == UnitKind.COMMUNITY,
            Unit.street_id == street.id if street is not None else Unit.county_id == county.id)
    sections, area_map = [], None
    for kind, units in shown.items():
        sums = queries.sum_by_kind(kind, start, today, None if kind == UnitKind.COUNTY else [u.id for u in units])
        ranked, unranked = queries.league(units, sums, params)
        sections.append((kind, ranked, unranked))
        if kind == UnitKind.COMMUNITY:
            area_map = public_map(ranked, unranked, params, request.args.get("map"))
    recent = recent_resolved(RECENT)
    return render_template("public/index.html", sections=sections, recent=recent, days=days,
                           start=start, today=today, periods=queries.PERIODS, params=params,
                           counties=counties, county=county, streets=streets, street=street,
                           version=FORMULA_VERSION, formulas=formula_text(params),
                           labels=plain_labels(), figures=figures, result_photos=published_result_photos,
                           area_map=area_map, map_figures=PUBLIC_FIGURES)


def _active(*where) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(*where, Unit.active.is_(True)).order_by(Unit.code)))


def _chosen(units: list[Unit], code: str | None, default_single: bool = False) -> Unit | None:
    """The unit named by `code` among `units` (404 for any other code); without a code,
    the only one when there is one and `default_single`."""
    if code:
        found = next((u for u in units if u.code == code), None)
        if found is None:
            abort(404)
        return found
    return units[0] if default_single and len(units) == 1 else None


def recent_resolved(limit: int) -> list[Ticket]:
    """The requests resolved last, through the resolutions' time index: ordering the
    requests themselves by resolved_at reads every finished request of the city."""
    return list(db.session.scalars(
        select(Ticket).join(Resolution, Resolution.ticket_id == Ticket.id)
        .where(Resolution.reopened_at.is_(None), Ticket.state.in_([State.RESOLVED, State.CLOSED]))
        .order_by(Resolution.resolved_at.desc(), Resolution.id.desc()).limit(limit)
        .options(selectinload(Ticket.community),  # the category: the process's copy (ticket_category)
                 selectinload(Ticket.photos).selectinload(TicketPhoto.event))))


def published_result_photos(ticket: Ticket) -> list[TicketPhoto]:
    """The photos of a request's 办结 shown on /public: only where the resident allowed
    publication (text_public), never after anonymising, only the resolution's own
    (public) photos, not the resident's."""
    if not ticket.text_public or ticket.anonymised_at is not None \
            or ticket.state not in (State.RESOLVED, State.CLOSED):
        return []
    return [p for p in ticket.photos if p.event is not None and p.event.action == "resolve" and p.event.public]


@bp.get("/public/photos/<int:photo_id>")
def result_photo(photo_id):
    from community.tickets.views import _send_photo

    photo = db.session.get(TicketPhoto, photo_id)
    if photo is None or photo not in published_result_photos(photo.ticket):
        abort(404)
    return _send_photo(photo.ticket, photo_id, public_only=True)
