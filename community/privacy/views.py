"""Privacy pages: the masking filters, /admin/contact-reveals (who unmasked which
resident's number, and when; admin only), and a resident's own data (/account/data:
download it as JSON, delete the account)."""
import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from community.auth.decorators import resident_required, role_required
from community.auth.models import Role
from community.auth.sessions import sign_out_here
from community.core.errors import ValidationFailed
from community.core.extensions import db
from community.web.forms import Form
from community.web.submit import submit
from community.tickets.models import Ticket
from community.tickets.states import OPEN
from community.core.timeutil import utcnow
from community.workqueue.models import ContactReveal

from . import models  # noqa: F401  (the audit table, for the metadata)
from .anonymise import remove_photo_files
from community.core.masking import coarse_address, mask_personal
from .services import delete_account, export_personal_data

bp = Blueprint("privacy", __name__)


@bp.app_template_filter("public_text")
def public_text_filter(text):
    """{{ text|public_text }}: a resident's words as the public may read them."""
    return Markup(escape(mask_personal(str(text or ""))))


@bp.app_template_filter("public_address")
def public_address_filter(text):
    return Markup(escape(coarse_address(str(text or ""))))


@bp.get("/admin/contact-reveals")
@role_required(Role.ADMIN)  # 404: staff learn nothing about the audit, not even that it exists
def contact_reveals():
    size = current_app.config["COMMUNITY_PAGE_SIZE"]
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count(ContactReveal.id)))
    rows = db.session.scalars(
        select(ContactReveal).options(joinedload(ContactReveal.user), joinedload(ContactReveal.ticket))
        .order_by(ContactReveal.at.desc(), ContactReveal.id.desc())
        .limit(size).offset((page - 1) * size))
    return render_template("privacy/reveals.html", reveals=list(rows), page=page,
                           has_next=page * size < total, total=total)


# -- a resident's own data (PIPL) -----------------------------------------------------

class DeleteAccountForm(Form):
    password = PasswordField(_l("请输入密码确认"), validators=[DataRequired(_l("请输入密码。")), Length(max=128)])
    confirm = BooleanField(_l("我明白注销后不能恢复"), validators=[DataRequired(_l("请勾选确认。"))])
    submit = SubmitField(_l("注销账号"))


def _resident():
    """Residents only (resident_required): staff accounts are the admin's to close, and
    have no page here."""
    return current_user._get_current_object()


def _my_data_page(user, form):
    mine = select(func.count(Ticket.id)).where(Ticket.resident_id == user.id)
    return render_template("privacy/my_data.html", form=form, requests=db.session.scalar(mine),
                           open_requests=db.session.scalar(mine.where(Ticket.state.in_(list(OPEN)))))


@bp.get("/account/data")
@resident_required
def my_data():
    return _my_data_page(_resident(), DeleteAccountForm())


@bp.get("/account/data.json")
@resident_required
def my_data_json():
    user = _resident()
    body = json.dumps(export_personal_data(user, utcnow()), ensure_ascii=False, indent=2)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = "attachment; filename=my-data.json"
    return response


@bp.post("/account/delete")
@resident_required
def delete_my_account():
    user = _resident()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        done = submit(lambda: delete_account(user, form.password.data, utcnow()),
                      form=form, field="password", catch=ValidationFailed)
        if done.ok:
            _count, photos = done.value
            remove_photo_files(photos)
            sign_out_here()
            flash(_("账号已注销，您的个人信息已删除。"))
            return redirect(url_for("tickets.home"))
    return _my_data_page(user, form), 400
