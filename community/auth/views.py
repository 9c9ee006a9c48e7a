from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from community.areas.services import get_unit
from community.errors import NotAllowed, NotFound, ValidationFailed
from community.extensions import db, limiter
from community.forms import community_choices, show_error
from community.timeutil import utcnow

from .forms import LoginForm, SignupForm
from .services import authenticate, register_resident, send_code

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not urlsplit(target).netloc and not target.startswith("//"):
        return target
    return url_for("tickets.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMMUNITY_LOGIN_RATE"], methods=["POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = authenticate(form.login.data, form.password.data, utcnow())
        except (ValidationFailed, NotAllowed) as exc:
            db.session.rollback()
            form.password.errors.append(exc.message)
        else:
            db.session.commit()
            login_user(user)
            flash(_("您已登录。"))
            return redirect(_safe_next(form.next.data))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("您已退出登录。"))
    return redirect(url_for("tickets.home"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMMUNITY_LOGIN_RATE"], methods=["POST"])
def signup():
    form = SignupForm()
    form.community.choices = community_choices()
    code_sent = False
    if form.validate_on_submit():
        try:
            if form.send_code.data:
                send_code(form.phone.data, "signup", utcnow())
                db.session.commit()
                flash(_("验证码已发送，请查收短信。"))
                code_sent = True
            else:
                community = get_unit(int(form.community.data)) if form.community.data else None
                user = register_resident(form.phone.data, form.password.data, form.code.data,
                                         form.name.data, community, utcnow())
                db.session.commit()
                login_user(user)
                flash(_("注册成功。"))
                return redirect(url_for("tickets.home"))
        except (ValidationFailed, NotFound, ValueError) as exc:
            db.session.rollback()
            show_error(form, exc, default_field="phone")
    status = 400 if form.errors else 200
    return render_template("auth/signup.html", form=form, code_sent=code_sent), status
