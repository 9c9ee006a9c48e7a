"""The resident's phone page (/s/<survey>/<community code>, the QR code's and the home
page's link), the single-use texted link (/s/<token>), and /public/surveys."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.core.errors import DomainError, ValidationFailed
from community.core.extensions import db, limiter
from community.core.timeutil import utcnow
from community.web.submit import submit as write

from . import links, results, services
from .forms import answer_form
from .models import Survey

bp = Blueprint("survey_answer", __name__)


@bp.after_request
def _private(response):
    # A texted link is a key: no Referer carries it anywhere, no cache keeps the page.
    if request.endpoint in ("survey_answer.link_page", "survey_answer.link_answer"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _target(survey_id, code):
    try:
        survey = services.get(survey_id)
        return survey, services.community_of(survey, code)
    except DomainError:
        abort(404)


def _errors(exc):
    if isinstance(exc, ValidationFailed):
        return {exc.field or "form": str(exc.message), **{f: str(m) for f, m in exc.others}}
    return {"form": str(exc.message)}


def _form(survey):
    """The phone page's form: the questions, and the phone a link is texted to."""
    return answer_form(survey.current_version.questions, "phone")


def _page(survey, community, *, form=None, errors=None, status=200, link_token=None, link_phone=None):
    me = current_user if current_user.is_authenticated else None
    done = me is not None and me.is_resident and services.answered(survey, me.phone)
    return render_template(
        "surveys/answer.html", survey=survey, community=community, version=survey.current_version,
        errors=errors or {}, form=form or _form(survey),
        is_open=services.is_open(survey, utcnow()), done=done, link_token=link_token,
        link_phone=link_phone), status


@bp.get("/s/<int:survey_id>/<code>")
def answer(survey_id, code):
    survey, community = _target(survey_id, code)
    return _page(survey, community)


@bp.post("/s/<int:survey_id>/<code>")
def submit(survey_id, code):
    survey, community = _target(survey_id, code)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for(".answer", survey_id=survey_id, code=code)))
    form = _form(survey)
    done = write(lambda: services.answer_signed_in(current_user, survey, community, utcnow(), form.data),
                  show=False)
    if not done.ok:
        return _page(survey, community, form=form, errors=_errors(done.refusal), status=done.status)
    return render_template("surveys/thanks.html", survey=survey, community=community)


@bp.post("/s/<int:survey_id>/<code>/link")
@limiter.limit(lambda: current_app.config["COMMUNITY_SURVEY_LINK_RATE"])
def send_link(survey_id, code):
    """Text a single-use link to the phone given: the same answer whether or not the phone
    has an account or has answered, so the page tells nobody who took part."""
    survey, community = _target(survey_id, code)
    if current_user.is_authenticated and not current_user.is_resident:
        abort(403)  # staff record answers, provider accounts never answer; neither asks for a link
    form = _form(survey)
    done = write(lambda: services.send_link(survey, community, form.phone.data or "", utcnow()), show=False)
    if not done.ok:
        return _page(survey, community, form=form, errors=_errors(done.refusal), status=done.status)
    flash(_("如果这个手机号可以参加，链接已经用短信发出，请打开短信中的链接填写（仅限一次）。"))
    return redirect(url_for(".answer", survey_id=survey.id, code=community.code))


def _usable(token):
    try:
        return links.find(token, utcnow()), None
    except DomainError as exc:
        from community.web import error_response

        return None, error_response(exc.status, exc.code, exc.message)


@bp.get("/s/<token>")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def link_page(token):
    link, refusal = _usable(token)
    if refusal:
        return refusal
    return _page(link.survey, link.community, link_token=token, link_phone=link.phone)


@bp.post("/s/<token>")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def link_answer(token):
    link, refusal = _usable(token)
    if refusal:
        return refusal
    if current_user.is_authenticated and not current_user.is_resident:
        abort(403)  # staff and provider accounts never answer with a resident's link
    survey, community = link.survey, link.community
    form = _form(survey)
    done = write(lambda: services.answer_with_link(link, utcnow(), form.data), show=False)
    if not done.ok:
        return _page(survey, community, form=form, errors=_errors(done.refusal), status=done.status,
                     link_token=token, link_phone=link.phone)
    return render_template("surveys/thanks.html", survey=survey, community=community)


@bp.get("/public/surveys")
def public():
    """Every survey that has started, in aggregate: coverage and 满意率 per street and
    community with samples and intervals. No answer, no text, nobody's identity."""
    day = services.today(utcnow())
    surveys = db.session.scalars(db.select(Survey).where(Survey.starts_on <= day)
                                 .order_by(Survey.starts_on.desc(), Survey.id.desc()).limit(20))
    return render_template("surveys/public.html",
                           shown=[(s, results.overview(s)) for s in surveys])
