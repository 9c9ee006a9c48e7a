"""满意度调查: every rule of issue 29 §1, through the services (real database and Redis)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from community.auth.models import Role, User
from community.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.stats.formulas import Params, wilson
from community.surveys import links, questions, results, services
from community.surveys.models import SurveyResponse, SurveyVersion
from community.core.timeutil import utcnow
from community.workqueue.models import Notification
from tests.factories import hashed_password
from tests.surveys.helpers import GOOD, QUESTIONS, START, answer_as, make_survey
from tests.factories import T0


def resident(phone, home):
    user = User(phone=phone, name=phone, role=Role.RESIDENT, password_hash=hashed_password(),
                created_at=utcnow(), home_community=home)
    db.session.add(user)
    db.session.commit()
    return user


def texted_token(phone):
    note = db.session.scalar(select(Notification).where(Notification.template == "LINK_SURVEY",
                                                        Notification.phone == phone)
                             .order_by(Notification.id.desc()))
    assert note is not None and "/s/" + note.params["token"] in note.text
    return note.params["token"]


# -- questions and setting -----------------------------------------------------------------

def test_questions_parse_and_refuse_with_the_line():
    parsed = questions.parse(QUESTIONS)
    assert [q["kind"] for q in parsed] == ["level", "choice", "text"]
    assert parsed[1]["options"] == ["养老", "托育", "家政"]
    assert questions.parse(questions.as_text(parsed)) == parsed  # the edit form round-trips
    for bad, line in (("选择题：x", 1), ("满意度：好吗\n单选：只有 | 一个", 2), ("满意度：好吗\n文字：x | y", 2)):
        with pytest.raises(ValidationFailed, match=f"第 {line} 行"):
            questions.parse(bad)
    with pytest.raises(ValidationFailed, match="满意度"):
        questions.parse("文字：只有文字")  # no headline question
    with pytest.raises(ValidationFailed):
        questions.parse("  \n")


def test_only_a_county_sets_a_survey_and_only_its_own_county_edits(app, ctx, people, areas):
    for user in (people.street, people.community, people.grid, people.admin, people.resident, people.dept):
        with pytest.raises(NotAllowed):
            services.create_survey(user, T0, title="x", questions_text=QUESTIONS, starts_on=START,
                                   ends_on=START, min_responses=1)
    survey = make_survey(people)
    assert survey.county_id == areas.C.id and survey.current_version.number == 1
    with pytest.raises(NotAllowed):
        services.edit_survey(people.street, T0, survey, title="y", questions_text=QUESTIONS,
                             starts_on=START, ends_on=START, min_responses=1)


def test_bad_input_changes_nothing(app, ctx, people):
    survey = make_survey(people)
    for bad in ({"ends_on": START - timedelta(days=1)}, {"min_responses": 0}, {"title": ""},
                {"questions_text": "乱写"}):
        fields = {"title": "新标题", "questions_text": QUESTIONS, "starts_on": START,
                  "ends_on": START + timedelta(days=3), "min_responses": 5, **bad}
        with pytest.raises(ValidationFailed):
            services.edit_survey(people.county, T0, survey, **fields)
        db.session.rollback()
        db.session.refresh(survey)
        assert survey.title == "2026年社区服务满意度调查" and survey.min_responses == 2


# -- versioning ----------------------------------------------------------------------------

def test_an_edit_before_answers_changes_the_draft_after_answers_makes_a_new_version(app, ctx, people, areas):
    survey = make_survey(people)
    first = survey.current_version
    services.edit_survey(people.county, T0, survey, title="改过的标题", questions_text=QUESTIONS,
                         starts_on=START, ends_on=START + timedelta(days=10), min_responses=2)
    db.session.commit()
    assert survey.current_version.id == first.id and first.title == "改过的标题"

    old = answer_as(people.resident, survey, areas.S1C1)
    services.edit_survey(people.county, T0, survey, title="改过的标题",
                         questions_text=QUESTIONS + "\n满意度：您对网格员满意吗？",
                         starts_on=START, ends_on=START + timedelta(days=10), min_responses=2)
    db.session.commit()
    second = survey.current_version
    assert second.number == 2 and second.id != first.id and len(second.questions) == 4
    assert old.version_id == first.id and len(first.questions) == 3  # the answer keeps its questions
    with pytest.raises(ValidationFailed):  # the new question must be answered
        answer_as(people.resident2, survey, areas.S1C1)
    new = services.answer_signed_in(people.resident2, survey, areas.S1C1, T0, {**GOOD, "q4": "basic"})
    db.session.commit()
    assert new.version_id == second.id and new.answers["q4"] == "basic"
    # the period and the threshold are the survey's: changing them makes no version
    services.edit_survey(people.county, T0, survey, title="改过的标题",
                         questions_text=questions.as_text(second.questions),
                         starts_on=START, ends_on=START + timedelta(days=20), min_responses=3)
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(SurveyVersion)) == 2
    # the headline pools across versions; the breakdown keeps them apart
    assert results.overview(survey)["county"]["n"] == 2
    assert [v["responses"] for v in results.breakdown(survey, areas.S1C1)] == [1, 1]


# -- one answer per resident ----------------------------------------------------------------

def test_one_answer_per_resident_whatever_the_channel(app, ctx, people, areas):
    survey = make_survey(people)
    answer_as(people.resident, survey, areas.S1C1)
    with pytest.raises(Conflict):
        answer_as(people.resident, survey, areas.S1C1)
    with pytest.raises(Conflict):  # nor for another community of the county
        answer_as(people.resident, survey, areas.S1C2)
    db.session.rollback()
    with pytest.raises(Conflict):  # nor recorded by staff for the same phone
        services.record_answer(people.community, survey, areas.S1C1, T0, GOOD,
                               phone="138 0000 0001", channel="visit")
    db.session.rollback()
    assert not services.send_link(survey, areas.S1C1, "13800000001", T0)  # nothing texted
    assert db.session.scalar(select(db.func.count()).select_from(SurveyResponse)) == 1
    # a second survey is a new question: the same resident answers it
    other = make_survey(people)
    answer_as(people.resident, other, areas.S1C1)


def test_the_unique_key_holds_even_past_the_check(app, ctx, people, areas, monkeypatch):
    """Two answers at once both pass the 'answered?' read; the unique key refuses one."""
    survey = make_survey(people)
    answer_as(people.resident, survey, areas.S1C1)
    monkeypatch.setattr(services, "answered", lambda survey, phone: False)
    with pytest.raises(Conflict):
        answer_as(people.resident, survey, areas.S1C1)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(SurveyResponse)) == 1


def test_answers_are_checked_and_only_inside_the_period(app, ctx, people, areas):
    survey = make_survey(people)
    with pytest.raises(ValidationFailed) as missing:
        services.answer_signed_in(people.resident, survey, areas.S1C1, T0, {"q2": "不存在的选项"})
    assert missing.value.field == "q1" and [f for f, _m in missing.value.others] == ["q2"]
    with pytest.raises(ValidationFailed):
        services.answer_signed_in(people.resident, survey, areas.S1C1, T0, {**GOOD, "q3": "长" * 501})
    after = T0 + timedelta(days=30)
    with pytest.raises(NotAllowed):
        services.answer_signed_in(people.resident, survey, areas.S1C1, after, GOOD)
    with pytest.raises(NotAllowed):  # staff never answer on the resident page
        services.answer_signed_in(people.grid, survey, areas.S1C1, T0, GOOD)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(SurveyResponse)) == 0


# -- single-use link ------------------------------------------------------------------------

def test_a_texted_link_answers_once(app, ctx, people, areas):
    survey = make_survey(people)
    assert services.send_link(survey, areas.S1C1, "139-0000-1111", T0)
    db.session.commit()
    token = texted_token("13900001111")
    assert len(token) <= 32
    link = links.find(token, T0)
    response = services.answer_with_link(link, T0, GOOD)
    db.session.commit()
    assert (response.channel, response.phone, response.community_id, response.user_id) == \
        ("link", "13900001111", areas.S1C1.id, None)
    with pytest.raises(NotAllowed, match="用过"):
        links.find(token, T0)
    with pytest.raises(Conflict):  # the same link object again (two tabs): the update decides
        services.answer_with_link(link, T0, GOOD)


def test_a_link_is_refused_forged_replaced_or_expired(app, ctx, people, areas):
    survey = make_survey(people, days=5)
    services.send_link(survey, areas.S1C1, "13900001111", T0)
    db.session.commit()
    first = texted_token("13900001111")
    secret, _dot, _tag = first.partition(".")
    with pytest.raises(NotFound):
        links.find(secret + ".AAAAAAAA", T0)  # a forged tag: refused before the database
    services.send_link(survey, areas.S1C1, "13900001111", T0)
    db.session.commit()
    second = texted_token("13900001111")
    with pytest.raises(NotAllowed, match="取代"):
        links.find(first, T0)
    assert links.find(second, T0)
    with pytest.raises(NotAllowed, match="过期"):
        links.find(second, services.period_end(survey) + timedelta(seconds=1))


def test_a_closed_survey_texts_nothing_and_bad_phones_are_refused(app, ctx, people, areas):
    survey = make_survey(people)
    assert not services.send_link(survey, areas.S1C1, "13900001111", T0 + timedelta(days=40))
    with pytest.raises(ValidationFailed):
        services.send_link(survey, areas.S1C1, "12345", T0)
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 0


# -- the rated never rate themselves ---------------------------------------------------------

def test_the_communitys_own_staff_are_kept_but_not_counted(app, ctx, people, areas):
    survey = make_survey(people, min_responses=1)
    people.grid.phone = "13700000001"      # grid worker of S1C1G1
    people.community2.phone = "13700000002"  # community office of S1C2
    db.session.commit()
    own = services.record_answer(people.street, survey, areas.S1C1, T0, {**GOOD, "q1": "very_satisfied"},
                                 phone="13700000001", channel="call")
    by_link = services.answer_with_link(
        links.find(links.issue(survey, areas.S1C2, "13700000002", T0, services.period_end(survey)), T0),
        T0, {**GOOD, "q1": "very_satisfied"})
    elsewhere = services.record_answer(people.street, survey, areas.S1C1, T0, GOOD,
                                       phone="13700000003", channel="visit")
    db.session.commit()
    assert (own.counted, by_link.counted, elsewhere.counted) == (False, False, True)
    # ... but staff of one community rating another community count
    people.grid2.phone = "13700000004"
    db.session.commit()
    other = services.record_answer(people.county, survey, areas.S2C1, T0, GOOD,
                                   phone="13700000004", channel="visit")
    assert other.counted
    data = results.overview(survey)
    by_code = {r["unit"].code: r for r in data["communities"]}
    assert by_code["S1C1"]["n"] == 1 and by_code["S1C2"]["n"] == 0 and by_code["S2C1"]["n"] == 1
    assert data["covered"] == 2 and results.not_counted(survey, [areas.S1C1.id, areas.S1C2.id]) == 2


def test_staff_record_within_their_area_naming_channel_and_themselves(app, ctx, people, areas):
    survey = make_survey(people)
    with pytest.raises(NotAllowed):
        services.record_answer(people.community2, survey, areas.S1C1, T0, GOOD, phone="13900000001",
                               channel="visit")
    for user in (people.admin, people.dept, people.resident, people.street2):
        with pytest.raises(NotAllowed):
            services.record_answer(user, survey, areas.S1C1, T0, GOOD, phone="13900000001", channel="visit")
    with pytest.raises(ValidationFailed):
        services.record_answer(people.grid, survey, areas.S1C1, T0, GOOD, phone="13900000001", channel="web")
    people.grid.phone = "13700000001"
    with pytest.raises(NotAllowed):  # never one's own answer
        services.record_answer(people.grid, survey, areas.S1C1, T0, GOOD, phone="13700000001",
                               channel="call")
    row = services.record_answer(people.grid, survey, areas.S1C1, T0, GOOD, phone="13900000001",
                                 channel="visit")
    assert (row.channel, row.recorded_by_id, row.user_id) == ("visit", people.grid.id, None)


# -- results and coverage ---------------------------------------------------------------------

def test_results_use_the_figures_formula_sample_rule_and_interval(app, ctx, people, areas):
    survey = make_survey(people, min_responses=2)
    levels = ["very_satisfied", "satisfied", "basic", "dissatisfied"]
    for i, level in enumerate(levels):
        services.answer_with_link(links.find(links.issue(
            survey, areas.S1C1, f"1390000000{i}", T0, services.period_end(survey)), T0), T0,
            {**GOOD, "q1": level})
    answer_as(people.resident3, survey, areas.S2C1, level="very_dissatisfied")
    db.session.commit()
    params = Params.from_config(app.config)
    data = results.overview(survey)
    s1c1 = next(r for r in data["communities"] if r["unit"].code == "S1C1")
    hits = 1 + 1 + params.basic_weight * 1
    assert s1c1["n"] == 4 and s1c1["rate"] == pytest.approx(hits / 4)
    assert (s1c1["low"], s1c1["high"]) == pytest.approx(wilson(hits, 4, params.z))
    assert not s1c1["ranked"]  # 4 < the figures' minimum sample
    s1 = next(r for r in data["streets"] if r["unit"].code == "S1")
    assert s1["n"] == 4 and s1["rate"] == s1c1["rate"]
    assert data["county"]["n"] == 5 and data["county"]["rate"] == pytest.approx(hits / 5)
    # coverage: communities with at least min_responses counted answers / all of the county
    assert (data["covered"], data["all"]) == (1, 4)
    assert [r["unit"].code for r in data["behind"]] == ["S1C2", "S2C2", "S2C1"]  # fewest first
    app.config["COMMUNITY_RANKING_MIN_RATINGS"] = 4
    try:
        assert next(r for r in results.overview(survey)["communities"] if r["unit"].code == "S1C1")["ranked"]
    finally:
        app.config["COMMUNITY_RANKING_MIN_RATINGS"] = 30


def test_a_street_sees_only_its_own_communities(app, ctx, people, areas):
    from community.surveys import rules

    survey = make_survey(people)
    rows = results.overview(survey, visible=lambda c: rules.can_read_community(people.street, survey, c))
    assert [r["unit"].code for r in rows["communities"]] == ["S1C1", "S1C2"]
    assert [r["unit"].code for r in rows["streets"]] == ["S1"]
    assert rows["all"] == 4  # coverage is still the county's


def test_the_home_page_lists_open_unanswered_surveys(app, ctx, people, areas):
    survey = make_survey(people)
    assert services.open_for_resident(people.resident, T0) == [(survey, areas.S1C1)]
    answer_as(people.resident, survey, areas.S1C1)
    assert services.open_for_resident(people.resident, T0) == []
    assert services.open_for_resident(people.resident2, T0 + timedelta(days=40)) == []
    assert services.open_for_resident(people.grid, T0) == []
    assert date(2026, 11, 20) == survey.starts_on


def test_a_residents_answers_are_in_their_download_and_forgotten_with_the_account(app, ctx, people, areas):
    from community.privacy.services import delete_account, export_personal_data
    from tests.factories import PASSWORD

    survey = make_survey(people, min_responses=1)
    answer_as(people.resident, survey, areas.S1C1, level="basic")
    exported = export_personal_data(people.resident, T0)["survey_answers"]
    assert exported[0]["answers"]["q3"] == "多办活动" and exported[0]["community"] == "社区1-1"
    before = results.overview(survey)["county"]
    delete_account(people.resident, PASSWORD, T0)
    db.session.commit()
    row = db.session.scalar(select(SurveyResponse))
    assert row.phone.startswith("deleted-") and row.user_id is None and "q3" not in row.answers
    assert results.overview(survey)["county"] == before  # the counts stay
