from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.areas.services import get_unit
from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db, limiter
from community.areas.services import community_choices
from community.web.submit import submit
from community.core.timeutil import utcnow

from . import throttle
from .models import mask_phone
from .forms import ChangePasswordForm, LoginForm, ResetPasswordForm, SignupForm
from .services import authenticate, change_password, register_resident, reset_password, send_code
from .sessions import end_every_session, sign_out_here, start_session

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None, user=None) -> str:
    if target and target.startswith("/") and not urlsplit(target).netloc and not target.startswith("//"):
        return target
    # Staff work from 工作台; only residents file from the home page's form.
    if user is not None and not user.is_resident and "workqueue.queue" in current_app.view_functions:
        return url_for("workqueue.queue")
    return url_for("tickets.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMMUNITY_LOGIN_RATE"], methods=["POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    wait = None
    if form.validate_on_submit():
        now, login_name = utcnow(), form.login.data
        done = submit(lambda: authenticate(login_name, form.password.data, now, address=request.remote_addr or "",
                                           known_browser=throttle.is_known_browser(login_name)),
                      form=form, field="password", catch=(ValidationFailed, throttle.TooManyTries))
        wait = getattr(done.refusal, "retry_after", None)
        if done.ok:
            user = done.value
            start_session(user, now)
            flash(_("您已登录。"))
            response = redirect(_safe_next(form.next.data, user))
            throttle.remember_browser(response, login_name)
            return response
    response = current_app.make_response(render_template("auth/login.html", form=form))
    response.status_code = 429 if wait else (400 if form.errors else 200)
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/logout")
@login_required
def logout():
    # Every cookie of this user ends, not only this one: a copy of it stops working too.
    end_every_session(current_user)
    db.session.commit()
    sign_out_here()
    flash(_("您已退出登录。"))
    return redirect(url_for("tickets.home"))


@bp.get("/account")
@login_required
def account():
    return _account_page(ChangePasswordForm())


def _account_page(form):
    return render_template("auth/account.html", form=form, phone=mask_phone(current_user.phone))


@bp.post("/account/password")
@login_required
def account_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        now = utcnow()
        if submit(lambda: change_password(current_user, form.current.data, form.password.data, now),
                  form=form, field="password", catch=ValidationFailed).ok:
            # This browser stays signed in (with the new version); every other one is out.
            start_session(current_user._get_current_object(), now)
            flash(_("密码已修改。其他设备上的登录已全部退出。"))
            return redirect(url_for("auth.account"))
    return _account_page(form), 400


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    end_every_session(current_user)
    db.session.commit()
    sign_out_here()
    flash(_("已在所有设备上退出登录。"))
    return redirect(url_for("tickets.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMMUNITY_LOGIN_RATE"], methods=["POST"])
def reset():
    """忘记密码: a code texted to the account's phone, then a new password."""
    form = ResetPasswordForm()
    code_sent = False
    if form.validate_on_submit():
        if form.send_code.data:
            if submit(lambda: send_code(form.phone.data, "reset", utcnow()),
                      form=form, field="phone", catch=(ValidationFailed, ValueError)).ok:
                flash(_("如果这个手机号注册过账号，验证码已发送，请查收短信。"))
                code_sent = True
        elif submit(lambda: reset_password(form.phone.data, form.code.data, form.password.data, utcnow()),
                    form=form, field="phone", catch=(ValidationFailed, ValueError)).ok:
            flash(_("密码已重设，请用新密码登录。"))
            return redirect(url_for("auth.login"))
    status = 400 if form.errors else 200
    return render_template("auth/reset.html", form=form, code_sent=code_sent), status


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMMUNITY_LOGIN_RATE"], methods=["POST"])
def signup():
    form = SignupForm()
    form.community.choices = community_choices()
    code_sent = False
    if form.validate_on_submit():
        refusals = (ValidationFailed, NotFound, ValueError)
        if form.send_code.data:
            if submit(lambda: send_code(form.phone.data, "signup", utcnow(), address=request.remote_addr or ""),
                      form=form, field="phone", catch=refusals).ok:
                flash(_("验证码已发送，请查收短信。"))
                code_sent = True
        else:
            done = submit(lambda: register_resident(
                form.phone.data, form.password.data, form.code.data, form.name.data,
                get_unit(int(form.community.data)) if form.community.data else None, utcnow()),
                form=form, field="phone", catch=refusals)
            if done.ok:
                start_session(done.value, utcnow())
                flash(_("注册成功。"))
                return redirect(url_for("tickets.home"))
    status = 400 if form.errors else 200
    return render_template("auth/signup.html", form=form, code_sent=code_sent), status
