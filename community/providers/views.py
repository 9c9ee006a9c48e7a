"""Provider pages: the offices' register (/providers), a provider's figures and credit
record, naming a provider on a request, the public list per community, and the
provider accounts' own pages (/provider)."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from community.areas.models import Unit, UnitKind
from community.areas.services import unit_by_code
from community.auth.models import Role
from community.core.errors import NotFound
from community.core.extensions import db
from community.core.timeutil import utcnow
from community.web.forms import as_int
from community.web.submit import submit
from community.workqueue.contact import masked_contact
from community.workqueue.permissions import visible_ticket

from . import credit, rules, services
from .forms import AccountForm, CommendForm, NameProviderForm, OptionsForm, ProviderAnswerForm, RegisterForm
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
            "community_providers": lambda ticket: services.of_community(ticket.community_id),
            "name_provider_form": lambda: NameProviderForm(formdata=None)}


def _staff():
    if not current_user.is_staff:
        abort(404)


def _done(action, message, back):
    """Run a service call; commit and flash, or roll back and show why (nothing changed)."""
    done = submit(lambda: action(utcnow()))
    if not done.ok:
        return back(done.status)
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
                           managed=managed, form=RegisterForm(formdata=None)), status


@bp.post("/providers")
@login_required
def register():
    _staff()
    back, form = lambda status: index(status=status), RegisterForm()
    failed = _done(lambda now: services.register(
        current_user, now, as_int(form.community.data), form.name.data or "", form.field.data or "",
        form.licence_no.data or "", form.contact.data or ""), _("服务商已登记。"), back)
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
                           accounts=services.accounts_of(provider), options_form=OptionsForm(formdata=None),
                           commend_form=CommendForm(formdata=None),
                           account_form=AccountForm(formdata=None)), status


def _managed_post(provider_id, call, message):
    provider = _overseen(provider_id)
    back = lambda status: detail(provider_id, status=status)
    failed = _done(lambda now: call(provider, now), message, back)
    return failed or redirect(url_for("providers.detail", provider_id=provider_id))


@bp.post("/providers/<int:provider_id>/options")
@login_required
def options(provider_id):
    form = OptionsForm()
    return _managed_post(provider_id, lambda p, now: services.set_options(
        p, current_user, form.accounts_enabled.data == "1", form.active.data == "1"), _("已保存。"))


@bp.post("/providers/<int:provider_id>/commend")
@login_required
def commend(provider_id):
    form = CommendForm()
    return _managed_post(provider_id, lambda p, now: services.commend(
        p, current_user, now, form.note.data or ""), _("表扬已记入信用档案。"))


@bp.post("/providers/<int:provider_id>/accounts")
@login_required
def add_account(provider_id):
    form = AccountForm()
    return _managed_post(provider_id, lambda p, now: services.create_account(
        p, current_user, now, form.username.data or "", form.name.data or "", form.password.data or ""),
        _("账号已开通。"))


@bp.post("/work/tickets/<int:ticket_id>/provider")
@login_required
def name_on_ticket(ticket_id):
    """The staff request page's "涉及的服务商" form."""
    _staff()
    ticket, form = visible_ticket(current_user, ticket_id), NameProviderForm()
    done = submit(lambda: services.name_provider(ticket, current_user, utcnow(), as_int(form.provider.data),
                                                 route=form.route.data == "1"))
    if not done.ok:
        from community.workqueue.views import ticket_page

        return ticket_page(ticket_id, status=done.status)
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
                           masked_phone=masked_contact(ticket), form=ProviderAnswerForm(formdata=None)), status


@bp.post("/provider/tickets/<int:ticket_id>/<step>")
@login_required
def account_answer(ticket_id, step):
    _provider_account()
    ticket = services.visible_to_provider(current_user, ticket_id)
    back, form = lambda status: account_ticket(ticket_id, status=status), ProviderAnswerForm()
    failed = _done(lambda now: services.provider_answer(ticket, current_user, now, step, form.text.data or ""),
                   _("已提交，承办单位会核实。"), back)
    return failed or redirect(url_for("providers.account_ticket", ticket_id=ticket_id))
