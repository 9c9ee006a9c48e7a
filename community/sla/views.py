"""Admin pages: SLA policies (/admin/sla); the calendar's pages are in calendar_views."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.auth.decorators import admin_required
from community.errors import DomainError, ValidationFailed
from community.extensions import db
from community.tickets.services import active_categories
from community.timeutil import utcnow

from . import services
from .models import RESOLVE_UNITS, SLA_CLASSES

bp = Blueprint("sla_admin", __name__, url_prefix="/admin")


def _int(name):
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        raise ValidationFailed(_("时限应为 1 到 720 之间的整数。"), field=name) from None


def _date(name):
    try:
        return date.fromisoformat(request.form.get(name, "").strip())
    except ValueError:
        raise ValidationFailed(_("请按 年-月-日 填写日期。"), field=name) from None


@bp.route("/sla", methods=["GET", "POST"])
@admin_required
def policies():
    status = 200
    if request.method == "POST":
        try:
            services.add_policy(
                current_user, utcnow(), sla_class=request.form.get("sla_class", ""),
                effective_from=_date("effective_from"), response_hours=_int("response_hours"),
                accept_hours=_int("accept_hours"), resolve_unit=request.form.get("resolve_unit", ""),
                resolve_amount=_int("resolve_amount"), category_code=request.form.get("category", ""),
                note=request.form.get("note", ""))
            db.session.commit()
            flash(_("已保存。新的时限自生效日起用于新开始的计时，已定的期限不变。"))
            return redirect(url_for("sla_admin.policies"))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message))
            status = exc.status
    return render_template("sla/policies.html", policies=services.list_policies(),
                           classes=SLA_CLASSES, units=RESOLVE_UNITS,
                           categories=active_categories(), form=request.form), status
