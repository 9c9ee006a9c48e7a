"""楼门长 pages (/buildings: their buildings' requests, 代办 filing) and the community
office's list of heads (/building-heads: appoint, end)."""
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.areas.models import Unit, UnitKind
from community.areas.services import list_units
from community.auth.models import Role
from community.core.extensions import db
from community.tickets import services as tickets
from community.tickets.services import Filing
from community.tickets.states import Channel
from community.core.timeutil import utcnow
from community.web.forms import as_int
from community.web.submit import submit
from community.workqueue.contact import masked_contact

from . import services
from .forms import AppointForm, FileForm

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
    form = FileForm()
    status = 200
    if form.validate_on_submit():
        grid = db.session.get(Unit, as_int(form.grid.data) or -1)
        earlier = tickets.find_by_submit_token(form.submit_token.data)
        if earlier is not None:
            return redirect(url_for("buildings.ticket", ticket_id=earlier.id))
        filing = Filing(kind=form.kind.data or "help", category_code=form.category.data or "",
                        text=form.text.data or "", community_id=grid.community_id if grid else None,
                        grid_id=grid.id if grid else None, address=form.address.data or "",
                        contact_name=form.contact_name.data or "",
                        contact_phone=form.contact_phone.data or "", channel=Channel.GRID_WORKER,
                        submit_token=form.submit_token.data or None, on_behalf=True)
        done = submit(lambda: tickets.submit_ticket(filing, current_user, utcnow()))
        if done.ok:
            flash(_("已代办提交。查询码：%(code)s（已用短信发给居民）", code=done.value.tracking_code))
            return redirect(url_for("buildings.ticket", ticket_id=done.value.id))
        status = done.status
    grids = {h.grid_id: h.grid for h in heads}
    return render_template("buildings/file.html", heads=heads, grids=list(grids.values()),
                           categories=tickets.active_categories(), form=form,
                           token=form.submit_token.data or secrets.token_urlsafe(24)), status


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
                           grids=grids, form=AppointForm(formdata=None)), status


@bp.post("/building-heads")
@login_required
def appoint():
    _office()
    form = AppointForm()
    done = submit(lambda: services.appoint(current_user, utcnow(), form.phone.data or "",
                                           as_int(form.grid.data), form.buildings.data or ""))
    if not done.ok:
        return heads(status=done.status)
    flash(_("已任命 %(n)d 个楼栋的楼门长。", n=len(done.value)))
    return redirect(url_for("buildings.heads"))


@bp.post("/building-heads/<int:head_id>/end")
@login_required
def end(head_id):
    _office()
    done = submit(lambda: services.end(current_user, utcnow(), head_id), show=False)
    if not done.ok:
        abort(done.status)
    flash(_("已卸任。"))
    return redirect(url_for("buildings.heads"))
