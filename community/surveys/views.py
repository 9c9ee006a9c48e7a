"""Staff pages: /surveys (list, set, edit, results, coverage), the printable QR
poster of a community, and recording an answer from a visit or a call."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from community.areas.models import Unit, UnitKind
from community.core.errors import DomainError, ValidationFailed
from community.core.extensions import db
from community.core.timeutil import utcnow
from community.web.submit import submit

from . import qr, questions, results, rules, services
from .forms import SurveyForm, answer_form
from .models import STAFF_CHANNELS

bp = Blueprint("surveys", __name__)
CHANNEL_LABELS = {"web": _l("居民本人登录填写"), "link": _l("短信链接"), "visit": _l("入户走访（代录）"),
                  "call": _l("电话（代录）")}


@bp.app_context_processor
def _globals():
    def open_surveys():
        return services.open_for_resident(current_user, utcnow())

    return {"open_surveys_for_me": open_surveys, "SURVEY_CHANNEL_LABELS": CHANNEL_LABELS,
            "QUESTION_KIND_LABELS": questions.KIND_LABELS, "can_read_surveys":
            lambda: current_user.is_authenticated and current_user.is_staff
            and current_user.role in rules.READERS}


def _staff_reader():
    if not (current_user.is_staff and current_user.role in rules.READERS):
        abort(404)


def _readable(survey_id):
    try:
        survey = services.get(survey_id)
    except DomainError:
        abort(404)
    if not rules.can_read(current_user, survey):
        abort(404)
    return survey


def _date(field):
    try:
        return date.fromisoformat((field.data or "").strip())
    except ValueError:
        return None


def _int(field):
    try:
        return int((field.data or "").strip())
    except ValueError:
        return None


def _fields(form: SurveyForm) -> dict:
    return {"title": form.title.data or "", "questions_text": form.questions.data or "",
            "starts_on": _date(form.starts_on), "ends_on": _date(form.ends_on),
            "min_responses": _int(form.min_responses)}


@bp.get("/surveys")
@login_required
def index():
    _staff_reader()
    return render_template("surveys/index.html", surveys=services.surveys_for(current_user),
                           can_set=rules.can_set(current_user), now=utcnow(), is_open=services.is_open)


def _form_page(survey=None, form=None, errors=None, status=200):
    if form is None and survey is not None:
        form = SurveyForm(formdata=None, data={
            "title": survey.title, "questions": questions.as_text(survey.current_version.questions),
            "starts_on": survey.starts_on.isoformat(), "ends_on": survey.ends_on.isoformat(),
            "min_responses": survey.min_responses})
    answered = survey is not None and services.answered_version(survey.current_version)
    return render_template("surveys/form.html", survey=survey, form=form or SurveyForm(formdata=None),
                           errors=errors or {},
                           default_min=services.default_min_responses(), answered=answered), status


def _errors(exc):
    if isinstance(exc, ValidationFailed):
        return {exc.field or "form": str(exc.message), **{f: str(m) for f, m in exc.others}}
    return {"form": str(exc.message)}


@bp.route("/surveys/new", methods=["GET", "POST"])
@login_required
def new():
    if not rules.can_set(current_user):
        abort(403 if current_user.is_staff else 404)
    if request.method == "GET":
        return _form_page()
    form = SurveyForm()
    done = submit(lambda: services.create_survey(current_user, utcnow(), **_fields(form)), show=False)
    if not done.ok:
        return _form_page(form=form, errors=_errors(done.refusal), status=done.status)
    flash(_("调查已设置，本区县的每个社区都将开展。"))
    return redirect(url_for("surveys.show", survey_id=done.value.id))


@bp.route("/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@login_required
def edit(survey_id):
    survey = _readable(survey_id)
    if not rules.can_edit(current_user, survey):
        abort(403)
    if request.method == "GET":
        return _form_page(survey)
    before, form = survey.current_version.id, SurveyForm()
    done = submit(lambda: services.edit_survey(current_user, utcnow(), survey, **_fields(form)), show=False)
    if not done.ok:
        return _form_page(survey, form, errors=_errors(done.refusal), status=done.status)
    version = done.value
    flash(_("已保存为第 %(n)d 版（已有回答，旧版保留）。", n=version.number) if version.id != before
          else _("已保存。"))
    return redirect(url_for("surveys.show", survey_id=survey.id))


@bp.get("/surveys/<int:survey_id>")
@login_required
def show(survey_id):
    survey = _readable(survey_id)
    data = results.overview(survey, visible=lambda c: rules.can_read_community(current_user, survey, c))
    ids = [r["unit"].id for r in data["communities"]]
    return render_template("surveys/show.html", survey=survey, data=data, now=utcnow(),
                           is_open=services.is_open(survey, utcnow()),
                           channels=results.channels(survey, ids), not_counted=results.not_counted(survey, ids),
                           can_edit=rules.can_edit(current_user, survey),
                           can_record=lambda c: rules.can_record(current_user, survey, c))


def _community(survey, community_id, allowed):
    community = db.session.get(Unit, community_id)
    if community is None or community.county_id != survey.county_id \
            or community.kind != UnitKind.COMMUNITY or not allowed(current_user, survey, community):
        abort(404)
    return community


@bp.get("/surveys/<int:survey_id>/communities/<int:community_id>")
@login_required
def community_results(survey_id, community_id):
    survey = _readable(survey_id)
    community = _community(survey, community_id, rules.can_read_community)
    return render_template("surveys/community.html", survey=survey, community=community,
                           versions=results.breakdown(survey, community),
                           can_record=rules.can_record(current_user, survey, community))


@bp.get("/surveys/<int:survey_id>/communities/<int:community_id>/poster")
@login_required
def poster(survey_id, community_id):
    survey = _readable(survey_id)
    community = _community(survey, community_id, rules.can_print)
    url = answer_url(survey, community)
    return render_template("surveys/poster.html", survey=survey, community=community, url=url,
                           svg=qr.svg(url))


def answer_url(survey, community) -> str:
    """The phone page's address, absolute (the poster is read by a phone's camera)."""
    base = current_app.config.get("COMMUNITY_PUBLIC_URL") or request.url_root
    return base.rstrip("/") + url_for("survey_answer.answer", survey_id=survey.id, code=community.code)


@bp.route("/surveys/<int:survey_id>/communities/<int:community_id>/record", methods=["GET", "POST"])
@login_required
def record(survey_id, community_id):
    survey = _readable(survey_id)
    community = _community(survey, community_id, rules.can_record)
    errors, status = {}, 200
    form = answer_form(survey.current_version.questions, "phone", "channel")
    if request.method == "POST":
        done = submit(lambda: services.record_answer(
            current_user, survey, community, utcnow(), form.data, phone=form.phone.data or "",
            channel=form.channel.data or ""), show=False)
        if done.ok:
            flash(_("已代录。"))
            return redirect(url_for("surveys.record", survey_id=survey.id, community_id=community.id))
        errors, status = _errors(done.refusal), done.status
    return render_template("surveys/record.html", survey=survey, community=community, errors=errors,
                           form=form, channels=STAFF_CHANNELS,
                           is_open=services.is_open(survey, utcnow())), status
