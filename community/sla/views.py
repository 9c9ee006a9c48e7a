"""Admin pages: SLA policies (/admin/sla); the calendar's pages are in calendar_views."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.auth.decorators import admin_required
from community.core.errors import ValidationFailed
from community.web.submit import submit
from community.tickets.services import active_categories
from community.core.timeutil import utcnow

from . import services
from .forms import PolicyForm
from .models import RESOLVE_UNITS, SLA_CLASSES

bp = Blueprint("sla_admin", __name__, url_prefix="/admin")


def _int(field):
    try:
        return int(field.data or "")
    except ValueError:
        raise ValidationFailed(_("时限应为 1 到 720 之间的整数。"), field=field.name) from None


def _date(field):
    try:
        return date.fromisoformat((field.data or "").strip())
    except ValueError:
        raise ValidationFailed(_("请按 年-月-日 填写日期。"), field=field.name) from None


@bp.route("/sla", methods=["GET", "POST"])
@admin_required
def policies():
    form, status = PolicyForm(), 200
    if form.validate_on_submit():
        done = submit(lambda: services.add_policy(
            current_user, utcnow(), sla_class=form.sla_class.data or "",
            effective_from=_date(form.effective_from), response_hours=_int(form.response_hours),
            accept_hours=_int(form.accept_hours), resolve_unit=form.resolve_unit.data or "",
            resolve_amount=_int(form.resolve_amount), category_code=form.category.data or "",
            note=form.note.data or ""), category="message")
        if done.ok:
            flash(_("已保存。新的时限自生效日起用于新开始的计时，已定的期限不变。"))
            return redirect(url_for("sla_admin.policies"))
        status = done.status
    return render_template("sla/policies.html", policies=services.list_policies(),
                           classes=SLA_CLASSES, units=RESOLVE_UNITS,
                           categories=active_categories(), form=form), status
