"""/profile (a resident's own page: their verified community and how to ask for a
change) and /residency (the community office's and grid workers' list to verify)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from community.auth.decorators import resident_required
from community.auth.models import mask_phone
from community.errors import DomainError
from community.extensions import db
from community.forms import community_choices
from community.timeutil import utcnow

from . import services

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
        communities=community_choices()), status


@bp.post("/profile/residency")
@resident_required
def ask():
    try:
        services.request_residency(current_user, utcnow(), request.form.get("community", type=int),
                                   request.form.get("note", ""))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return profile(status=exc.status)
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
                           verified=services.recently_verified(current_user), phone=phone), status


@bp.post("/residency/verify")
@login_required
def verify():
    _verifier()
    return _do(lambda now: services.verify(current_user, now, request.form.get("user", type=int),
                                           request.form.get("note", "")), _("已核实。"))


@bp.post("/residency/<int:residency_id>/refuse")
@login_required
def refuse(residency_id):
    _verifier()
    return _do(lambda now: services.refuse(current_user, now, residency_id,
                                           request.form.get("note", "")), _("已告知居民不能核实的原因。"))


def _do(call, message):
    try:
        call(utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(str(exc.message), "error")
        return waiting_list(status=exc.status)
    flash(message)
    return redirect(url_for("residency.waiting_list"))
