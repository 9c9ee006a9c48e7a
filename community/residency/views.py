"""/profile (a resident's own page: their verified community and how to ask for a
change) and /residency (the community office's and grid workers' list to verify)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from community.auth.decorators import resident_required
from community.auth.models import mask_phone
from community.areas.services import community_choices
from community.core.errors import NotFound
from community.web.forms import as_int
from community.web.submit import submit
from community.core.timeutil import utcnow

from . import services
from .forms import RefuseForm, ResidencyRequestForm, VerifyForm

bp = Blueprint("residency", __name__)
STATE = {"pending": _l("待核实"), "verified": _l("已核实"), "refused": _l("未核实"),
         "ended": _l("已结束")}


@bp.app_context_processor
def _globals():
    return {"can_verify_residents": lambda: services.can_verify(current_user),
            "mask_phone": mask_phone, "RESIDENCY_STATE": STATE}


@bp.get("/profile")
@login_required
def profile(status=200):
    residency = services.current(current_user) if current_user.is_resident else None
    return render_template(
        "residency/profile.html", residency=residency,
        pending=services.pending_request(current_user) if current_user.is_resident else None,
        history=services.history(current_user) if current_user.is_resident else [],
        communities=community_choices(), form=ResidencyRequestForm(formdata=None)), status


@bp.post("/profile/residency")
@resident_required
def ask():
    if not current_user.is_resident:
        abort(404)
    form = ResidencyRequestForm()
    done = submit(lambda: services.request_residency(current_user, utcnow(), as_int(form.community.data),
                                                     form.note.data or ""))
    if not done.ok:
        return profile(status=done.status)
    flash(_("申请已提交，社区工作人员或网格员核实后即可参与本社区的议事和评判。"))
    return redirect(url_for("residency.profile"))


def _verifier():
    if not services.can_verify(current_user):
        abort(404)


@bp.get("/residency")
@login_required
def waiting_list(status=200):
    _verifier()
    phone = request.args.get("phone", "").strip()
    return render_template("residency/waiting.html", waiting=services.waiting(current_user, phone),
                           verified=services.recently_verified(current_user), phone=phone,
                           refuse_form=RefuseForm(formdata=None)), status


@bp.post("/residency/verify")
@login_required
def verify():
    _verifier()
    form = VerifyForm()
    return _do(lambda now: services.verify(current_user, now, as_int(form.user.data), form.note.data or ""),
               _("已核实。"))


@bp.post("/residency/<int:residency_id>/refuse")
@login_required
def refuse(residency_id):
    _verifier()
    form = RefuseForm()
    return _do(lambda now: services.refuse(current_user, now, residency_id, form.note.data or ""),
               _("已告知居民不能核实的原因。"))


def _do(call, message):
    try:
        done = submit(lambda: call(utcnow()), passes=NotFound)
    except NotFound:
        abort(404)
    if not done.ok:
        return waiting_list(status=done.status)
    flash(message)
    return redirect(url_for("residency.waiting_list"))
