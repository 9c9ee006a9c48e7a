"""/admin/contact-reveals: who unmasked which resident's number, and when (admin only)."""
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from community.auth.models import Role
from community.extensions import db
from community.workqueue.models import ContactReveal

from . import models  # noqa: F401  (the audit table, for the metadata)
from .masking import coarse_address, mask_personal

bp = Blueprint("privacy", __name__)


@bp.app_template_filter("public_text")
def public_text_filter(text):
    """{{ text|public_text }}: a resident's words as the public may read them."""
    return Markup(escape(mask_personal(str(text or ""))))


@bp.app_template_filter("public_address")
def public_address_filter(text):
    return Markup(escape(coarse_address(str(text or ""))))


@bp.get("/admin/contact-reveals")
@login_required
def contact_reveals():
    if current_user.role != Role.ADMIN:
        abort(404)  # staff learn nothing about the audit, not even that it exists
    size = current_app.config["COMMUNITY_PAGE_SIZE"]
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count(ContactReveal.id)))
    rows = db.session.scalars(
        select(ContactReveal).options(joinedload(ContactReveal.user), joinedload(ContactReveal.ticket))
        .order_by(ContactReveal.at.desc(), ContactReveal.id.desc())
        .limit(size).offset((page - 1) * size))
    return render_template("privacy/reveals.html", reveals=list(rows), page=page,
                           has_next=page * size < total, total=total)
