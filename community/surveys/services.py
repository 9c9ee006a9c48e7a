"""Surveys: set by a county, answered once per resident, recorded by staff.

Services take the acting user and an explicit `now`, check every rule, flush; the
request commits. Who may do what is in rules.py.
"""
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from community.areas.models import Unit, UnitKind
from community.auth.models import Role, User
from community.auth.services import normalize_phone
from community.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.core.timeutil import local_zone, to_local

from . import links, questions, rules
from .models import STAFF_CHANNELS, Channel, Survey, SurveyResponse, SurveyVersion

TITLE_MAX = 100


def today(now: datetime) -> date:
    return to_local(now).date()


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.starts_on <= today(now) <= survey.ends_on


def period_end(survey: Survey) -> datetime:
    """The first moment after the period (local midnight after ends_on), in UTC."""
    local = datetime.combine(survey.ends_on + timedelta(days=1), time(), tzinfo=local_zone())
    return local.astimezone(timezone.utc)


def communities(survey: Survey) -> list[Unit]:
    """Every community of the survey's county runs it."""
    return list(db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.COMMUNITY, Unit.county_id == survey.county_id, Unit.active.is_(True))
        .order_by(Unit.code)))


def get(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound()
    return survey


def community_of(survey: Survey, code: str) -> Unit:
    """A community of the survey's county by code (the QR link names it)."""
    unit = db.session.scalar(select(Unit).where(Unit.code == (code or "").strip(),
                                                Unit.kind == UnitKind.COMMUNITY, Unit.active.is_(True)))
    if unit is None or unit.county_id != survey.county_id:
        raise NotFound()
    return unit


# -- setting a survey --------------------------------------------------------------------

def _checked_fields(title, questions_text, starts_on, ends_on, min_responses):
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise ValidationFailed(_("请填写标题（不超过 %(m)d 字）。", m=TITLE_MAX), field="title")
    parsed = questions.parse(questions_text)
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        raise ValidationFailed(_("请填写调查的起止日期。"), field="starts_on")
    if ends_on < starts_on:
        raise ValidationFailed(_("结束日期不能早于开始日期。"), field="ends_on")
    if not isinstance(min_responses, int) or not 1 <= min_responses <= 100000:
        raise ValidationFailed(_("“每个社区至少多少份”要填 1 到 100000 之间的整数。"), field="min_responses")
    return title, parsed


def default_min_responses() -> int:
    return int(current_app.config.get("COMMUNITY_SURVEY_MIN_RESPONSES", 30))


def create_survey(user: User, now: datetime, *, title, questions_text, starts_on, ends_on,
                  min_responses) -> Survey:
    if not rules.can_set(user):
        raise NotAllowed(_("满意度调查由区县设置。"))
    title, parsed = _checked_fields(title, questions_text, starts_on, ends_on, min_responses)
    survey = Survey(county_id=user.unit_id, starts_on=starts_on, ends_on=ends_on,
                    min_responses=min_responses, created_by_id=user.id, created_at=now)
    db.session.add(survey)
    db.session.flush()
    _new_version(survey, 1, title, parsed, user, now)
    return survey


def _new_version(survey, number, title, parsed, user, now) -> SurveyVersion:
    version = SurveyVersion(number=number, title=title, questions=parsed, created_by_id=user.id,
                            created_at=now)
    survey.versions.append(version)
    db.session.flush()
    return version


def answered_version(version: SurveyVersion) -> bool:
    return bool(db.session.scalar(select(exists().where(SurveyResponse.version_id == version.id))))


def edit_survey(user: User, now: datetime, survey: Survey, *, title, questions_text, starts_on,
                ends_on, min_responses) -> SurveyVersion:
    """Change a survey. New title or questions after someone answered make a new version
    (the answers keep the questions they were given); before that, the draft is edited
    in place. The period and the coverage threshold are the survey's, not versioned."""
    if not rules.can_edit(user, survey):
        raise NotAllowed(_("只有设置这次调查的区县可以修改。"))
    title, parsed = _checked_fields(title, questions_text, starts_on, ends_on, min_responses)
    survey.starts_on, survey.ends_on, survey.min_responses = starts_on, ends_on, min_responses
    current = survey.current_version
    if (current.title, current.questions) != (title, parsed):
        if answered_version(current):
            _new_version(survey, current.number + 1, title, parsed, user, now)
        else:
            current.title, current.questions = title, parsed
    db.session.flush()
    return survey.current_version


def surveys_for(user: User) -> list[Survey]:
    """The surveys of the user's county (every county's for the admin), newest first."""
    query = select(Survey).order_by(Survey.starts_on.desc(), Survey.id.desc())
    if user.role != Role.ADMIN:
        query = query.where(Survey.county_id == rules.county_id_of(user))
    return list(db.session.scalars(query))


# -- answering --------------------------------------------------------------------------

def own_staff(phone: str, community: Unit) -> bool:
    """Is this phone a staff account of the rated community (its office or one of its
    grids)? Their answers are kept but never counted: the rated never rate themselves."""
    return bool(db.session.scalar(select(exists().where(
        User.phone == phone, User.role.in_([Role.COMMUNITY, Role.GRID]),
        User.unit_id.in_(select(Unit.id).where(or_(Unit.id == community.id,
                                                   Unit.community_id == community.id)))))))


def answered(survey: Survey, phone: str) -> bool:
    return bool(phone) and bool(db.session.scalar(select(exists().where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.phone == phone))))


def _store(survey, community, now, form, *, phone, channel, user=None, recorder=None) -> SurveyResponse:
    if not is_open(survey, now):
        raise NotAllowed(_("这次调查不在进行中（%(a)s 至 %(b)s）。", a=survey.starts_on, b=survey.ends_on))
    if community.county_id != survey.county_id or community.kind != UnitKind.COMMUNITY:
        raise NotFound()
    version = survey.current_version
    answers = questions.clean_answers(version.questions, form)
    if answered(survey, phone):
        raise Conflict(_("这个手机号已经参加过这次调查，每人只能填写一次。"))
    head = questions.headline(version.questions)
    response = SurveyResponse(
        survey_id=survey.id, version_id=version.id, community_id=community.id, phone=phone,
        user_id=user.id if user is not None else None, channel=channel,
        recorded_by_id=recorder.id if recorder is not None else None, answers=answers,
        headline_level=answers.get(head["key"]) if head else None,
        counted=not own_staff(phone, community), created_at=now)
    try:
        with db.session.begin_nested():  # two answers at once: the unique key decides
            db.session.add(response)
    except IntegrityError:
        raise Conflict(_("这个手机号已经参加过这次调查，每人只能填写一次。")) from None
    return response


def answer_signed_in(user: User, survey: Survey, community: Unit, now: datetime, form) -> SurveyResponse:
    """A resident answers for themselves, signed in: once per survey (by their phone).
    Staff never answer on the resident page: they record what a resident said."""
    if user is None or not user.is_authenticated or not user.is_resident or not user.phone:
        raise NotAllowed(_("请用居民账号登录后填写；工作人员请用“代录”记录居民的回答。"))
    return _store(survey, community, now, form, phone=user.phone, channel=Channel.WEB, user=user)


def answer_with_link(link, now: datetime, form) -> SurveyResponse:
    """The holder of a texted single-use link answers for its phone; the link is used up."""
    response = _store(link.survey, link.community, now, form, phone=link.phone, channel=Channel.LINK)
    links.use(link, now)
    return response


def record_answer(staff: User, survey: Survey, community: Unit, now: datetime, form, *, phone,
                  channel) -> SurveyResponse:
    """Staff record what a resident said on a door-to-door visit or a call: the channel
    and the staff member are kept with the answer."""
    if not rules.can_record(staff, survey, community):
        raise NotAllowed(_("您不能为这个社区代录调查。"))
    if channel not in STAFF_CHANNELS:
        raise ValidationFailed(_("请选择是入户走访还是电话。"), field="channel")
    phone = normalize_phone(phone)
    if phone == staff.phone:
        raise NotAllowed(_("不能代录自己的回答。"))
    return _store(survey, community, now, form, phone=phone, channel=channel, user=None, recorder=staff)


def send_link(survey: Survey, community: Unit, phone: str, now: datetime) -> bool:
    """Text a single-use link to `phone` for this survey and community. Nothing is sent
    when the survey is closed or the phone has answered, yet the page says the same, so
    it never tells who took part. Returns whether a text was queued."""
    from community.sms.services import queue_notice

    phone = normalize_phone(phone)
    if not is_open(survey, now) or answered(survey, phone):
        return False
    token = links.issue(survey, community, phone, now, period_end(survey))
    queue_notice(phone=phone, code="LINK_SURVEY", params={"token": token}, now=now, user_id=None)
    return True


def open_for_resident(user: User, now: datetime) -> list[tuple[Survey, Unit]]:
    """Surveys the resident could answer now, for their community (verified, else the
    registered one), not answered yet: shown on their home page."""
    from community.residency.services import verified_community_id

    if user is None or not user.is_authenticated or not user.is_resident:
        return []
    community = db.session.get(Unit, verified_community_id(user) or user.home_community_id or 0)
    if community is None or community.kind != UnitKind.COMMUNITY:
        return []
    day = today(now)
    rows = db.session.scalars(select(Survey).where(
        Survey.county_id == community.county_id, Survey.starts_on <= day, Survey.ends_on >= day,
        ~exists().where(SurveyResponse.survey_id == Survey.id, SurveyResponse.phone == user.phone))
        .order_by(Survey.ends_on))
    return [(survey, community) for survey in rows]


def response_count(survey: Survey) -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyResponse)
                             .where(SurveyResponse.survey_id == survey.id)) or 0
