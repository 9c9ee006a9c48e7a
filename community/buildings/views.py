"""楼门长 pages (/buildings: their buildings' requests, 代办 filing) and the community
office's list of heads (/building-heads: appoint, end)."""
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.areas.models import Unit, UnitKind
from community.areas.services import list_units
from community.auth.models import Role
from community.core.errors import DomainError
from community.core.extensions import db
from community.tickets import services as tickets
from community.tickets.services import Filing
from community.tickets.states import Channel
from community.core.timeutil import utcnow
from community.workqueue.contact import masked_contact

from . import services

bp = Blueprint("buildings", __name__)


@bp.app_context_processor
def _globals():
    return {"is_building_head": lambda: services.is_head(current_user)}


def _head():
    heads = services.current_of(current_user)
    if not heads:
        abort(404)
    return heads


@bp.get("/buildings")
@login_required
def my_buildings():
    heads = _head()
    return render_template("buildings/mine.html", heads=heads, tickets=services.tickets_of(current_user),
                           mask=masked_contact)


@bp.get("/buildings/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id):
    _head()
    found = services.visible_ticket(current_user, ticket_id)
    return render_template("buildings/ticket.html", ticket=found, masked_phone=masked_contact(found))


@bp.route("/buildings/file", methods=["GET", "POST"])
@login_required
def file_for_neighbour():
    heads = _head()
    form = request.form
    status = 200
    if request.method == "POST":
        grid = db.session.get(Unit, form.get("grid", type=int) or -1)
        earlier = tickets.find_by_submit_token(form.get("submit_token"))
        if earlier is not None:
            return redirect(url_for("buildings.ticket", ticket_id=earlier.id))
        try:
            filing = Filing(kind=form.get("kind", "help"), category_code=form.get("category", ""),
                            text=form.get("text", ""), community_id=grid.community_id if grid else None,
                            grid_id=grid.id if grid else None, address=form.get("address", ""),
                            contact_name=form.get("contact_name", ""),
                            contact_phone=form.get("contact_phone", ""), channel=Channel.GRID_WORKER,
                            submit_token=form.get("submit_token") or None, on_behalf=True)
            found = tickets.submit_ticket(filing, current_user, utcnow())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            status = exc.status
        else:
            flash(_("已代办提交。查询码：%(code)s（已用短信发给居民）", code=found.tracking_code))
            return redirect(url_for("buildings.ticket", ticket_id=found.id))
    grids = {h.grid_id: h.grid for h in heads}
    return render_template("buildings/file.html", heads=heads, grids=list(grids.values()),
                           categories=tickets.active_categories(), form=form,
                           token=form.get("submit_token") or secrets.token_urlsafe(24)), status


# -- the community office ----------------------------------------------------------------

def _office():
    if current_user.role not in (Role.COMMUNITY, Role.ADMIN):
        abort(404)


@bp.get("/building-heads")
@login_required
def heads(status=200):
    _office()
    grids = list_units(UnitKind.GRID, current_user.unit_id) if current_user.role == Role.COMMUNITY else []
    return render_template("buildings/heads.html", heads=services.appointed_in(current_user),
                           grids=grids), status


@bp.post("/building-heads")
@login_required
def appoint():
    _office()
    try:
        rows = services.appoint(current_user, utcnow(), request.form.get("phone", ""),
                                request.form.get("grid", type=int), request.form.get("buildings", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return heads(status=exc.status)
    flash(_("已任命 %(n)d 个楼栋的楼门长。", n=len(rows)))
    return redirect(url_for("buildings.heads"))


@bp.post("/building-heads/<int:head_id>/end")
@login_required
def end(head_id):
    _office()
    try:
        services.end(current_user, utcnow(), head_id)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        abort(exc.status)
    flash(_("已卸任。"))
    return redirect(url_for("buildings.heads"))
