"""Provider pages: the offices' register (/providers), a provider's figures and credit
record, naming a provider on a request, the public list per community, and the
provider accounts' own pages (/provider)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from community.areas.models import Unit, UnitKind
from community.areas.services import unit_by_code
from community.auth.models import Role
from community.core.errors import DomainError, NotFound
from community.core.extensions import db
from community.core.timeutil import utcnow
from community.workqueue.contact import masked_contact
from community.workqueue.permissions import visible_ticket

from . import credit, rules, services
from .models import Field, Provider

bp = Blueprint("providers", __name__)
FIELD_LABELS = {Field.ELDERLY: _l("养老"), Field.CHILDCARE: _l("托育"),
                Field.HOUSEKEEPING: _l("家政"), Field.PROPERTY: _l("物业")}


@bp.app_context_processor
def _globals():
    return {"PROVIDER_FIELDS": FIELD_LABELS, "CREDIT_EVENTS": credit.EVENT_LABELS,
            # The staff request page's provider section.
            "ticket_provider": lambda ticket: services.link_of(ticket.id),
            "may_name_provider": lambda ticket: rules.names_provider(current_user, ticket),
            "community_providers": lambda ticket: services.of_community(ticket.community_id)}


def _staff():
    if not current_user.is_staff:
        abort(404)


def _done(action, message, back):
    """Run a service call; commit and flash, or roll back and show why (nothing changed)."""
    try:
        action(utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return back(exc.status)
    flash(message)
    return None


@bp.get("/providers")
@login_required
def index(status=200):
    _staff()
    ids = rules.communities_overseen(current_user)
    query = select(Provider).order_by(Provider.community_id, Provider.field, Provider.name)
    if ids is not None:
        query = query.where(Provider.community_id.in_(ids or [-1]))
    managed = [u for u in db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.COMMUNITY, Unit.id.in_(ids or [-1]) if ids is not None else Unit.id > 0)
        .order_by(Unit.code).limit(500)) if rules.manages(current_user, u)]
    return render_template("providers/index.html", providers=list(db.session.scalars(query.limit(500))),
                           managed=managed), status


@bp.post("/providers")
@login_required
def register():
    _staff()
    back = lambda status: index(status=status)
    failed = _done(lambda now: services.register(
        current_user, now, request.form.get("community", type=int), request.form.get("name", ""),
        request.form.get("field", ""), request.form.get("licence_no", ""),
        request.form.get("contact", "")), _("服务商已登记。"), back)
    return failed or redirect(url_for("providers.index"))


def _overseen(provider_id):
    provider = db.session.get(Provider, provider_id)
    if provider is None or not rules.oversees(current_user, provider.community):
        raise NotFound()
    return provider


@bp.get("/providers/<int:provider_id>")
@login_required
def detail(provider_id, status=200):
    provider = _overseen(provider_id)
    since, until = credit.window(utcnow())
    return render_template("providers/detail.html", provider=provider,
                           figures=credit.figures(provider, since, until),
                           record=credit.record(provider, since, until), since=since,
                           formulas=credit.formula_text(), manages=rules.manages(current_user, provider.community),
                           accounts=services.accounts_of(provider)), status


def _managed_post(provider_id, call, message):
    provider = _overseen(provider_id)
    back = lambda status: detail(provider_id, status=status)
    failed = _done(lambda now: call(provider, now), message, back)
    return failed or redirect(url_for("providers.detail", provider_id=provider_id))


@bp.post("/providers/<int:provider_id>/options")
@login_required
def options(provider_id):
    return _managed_post(provider_id, lambda p, now: services.set_options(
        p, current_user, request.form.get("accounts_enabled") == "1", request.form.get("active") == "1"),
        _("已保存。"))


@bp.post("/providers/<int:provider_id>/commend")
@login_required
def commend(provider_id):
    return _managed_post(provider_id, lambda p, now: services.commend(
        p, current_user, now, request.form.get("note", "")), _("表扬已记入信用档案。"))


@bp.post("/providers/<int:provider_id>/accounts")
@login_required
def add_account(provider_id):
    return _managed_post(provider_id, lambda p, now: services.create_account(
        p, current_user, now, request.form.get("username", ""), request.form.get("name", ""),
        request.form.get("password", "")), _("账号已开通。"))


@bp.post("/work/tickets/<int:ticket_id>/provider")
@login_required
def name_on_ticket(ticket_id):
    """The staff request page's "涉及的服务商" form."""
    _staff()
    ticket = visible_ticket(current_user, ticket_id)
    try:
        services.name_provider(ticket, current_user, utcnow(), request.form.get("provider", type=int),
                               route=request.form.get("route") == "1")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        from community.workqueue.views import ticket_page

        flash(str(exc.message), "error")
        return ticket_page(ticket_id, status=exc.status)
    flash(_("已保存。"))
    return redirect(url_for("workqueue.ticket_page", ticket_id=ticket_id))


@bp.get("/public/communities/<code>/providers")
def public_list(code):
    """Each provider's figures and credit score, with the formula and its version; no
    names of raters, no request texts, no commendation notes."""
    community = unit_by_code(code)
    if community is None or community.kind != UnitKind.COMMUNITY or not community.active:
        abort(404)
    since, until = credit.window(utcnow())
    rows = [(p, credit.figures(p, since, until)) for p in services.of_community(community.id)]
    return render_template("providers/public.html", community=community, rows=rows, since=since,
                           until=until, formulas=credit.formula_text(),
                           version=credit.CREDIT_FORMULA_VERSION)


# -- the provider accounts' own pages ----------------------------------------------------

def _provider_account():
    if current_user.role != Role.PROVIDER:
        abort(404)


@bp.get("/provider")
@login_required
def account_queue():
    _provider_account()
    return render_template("providers/account_queue.html", tickets=services.routed_to(current_user))


@bp.get("/provider/tickets/<int:ticket_id>")
@login_required
def account_ticket(ticket_id, status=200):
    _provider_account()
    ticket = services.visible_to_provider(current_user, ticket_id)
    return render_template("providers/account_ticket.html", ticket=ticket,
                           masked_phone=masked_contact(ticket)), status


@bp.post("/provider/tickets/<int:ticket_id>/<step>")
@login_required
def account_answer(ticket_id, step):
    _provider_account()
    ticket = services.visible_to_provider(current_user, ticket_id)
    back = lambda status: account_ticket(ticket_id, status=status)
    failed = _done(lambda now: services.provider_answer(ticket, current_user, now, step,
                                                        request.form.get("text", "")),
                   _("已提交，承办单位会核实。"), back)
    return failed or redirect(url_for("providers.account_ticket", ticket_id=ticket_id))
