"""The survey pages through the test client: the county sets and edits, staff read their
area and print the poster, residents answer from the QR link (signed in or with a texted
single-use link), /public shows aggregates only."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.core.extensions import db
from community.surveys.models import Survey, SurveyResponse
from community.workqueue.models import Notification
from tests.factories import count, csrf_from, login
from tests.surveys.helpers import GOOD, QUESTIONS, START, answer_as, make_survey

pytestmark = pytest.mark.usefixtures("frozen")


def form(client, url, **data):
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_from(page), **data})


def test_the_county_sets_a_survey_and_bad_input_shows_its_errors(client, people):
    login(client, "county")
    fields = {"title": "年度调查", "questions": QUESTIONS, "starts_on": START.isoformat(),
              "ends_on": (START + timedelta(days=10)).isoformat(), "min_responses": "3"}
    bad = form(client, "/surveys/new", **{**fields, "questions": "满意度：好吗\n单选：只有 | 只有"})
    assert bad.status_code == 422 and "第 2 行" in bad.get_data(as_text=True) and count(Survey) == 0
    bad = form(client, "/surveys/new", **{**fields, "ends_on": "不是日期"})
    assert bad.status_code == 422 and count(Survey) == 0
    done = form(client, "/surveys/new", **fields)
    assert done.status_code == 302
    survey = db.session.scalar(select(Survey))
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "0 / 4" in page and "年度调查" in page and "社区1-1" in page
    edit = client.get(f"/surveys/{survey.id}/edit").get_data(as_text=True)
    assert "单选：您最常用哪项服务？ | 养老 | 托育 | 家政" in edit  # the questions written back
    bad = form(client, f"/surveys/{survey.id}/edit", **{**fields, "title": "改过的标题", "min_responses": "零"})
    assert bad.status_code == 422 and 'value="改过的标题"' in bad.get_data(as_text=True)
    db.session.refresh(survey)
    assert survey.title == "年度调查"
    assert form(client, f"/surveys/{survey.id}/edit", **{**fields, "title": "改过的标题"}).status_code == 302
    db.session.refresh(survey)
    assert survey.title == "改过的标题"


def test_who_may_set_edit_and_read(client, people, areas):
    survey = make_survey(people)
    login(client, "street")
    assert client.get("/surveys/new").status_code == 403
    assert client.get(f"/surveys/{survey.id}/edit").status_code == 403
    page = client.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "社区1-1" in page and "社区2-1" not in page  # its own communities only
    assert client.get(f"/surveys/{survey.id}/communities/{areas.S2C1.id}").status_code == 404
    assert client.get(f"/surveys/{survey.id}/communities/{areas.S1C1.id}").status_code == 200
    other = client.application.test_client()
    login(other, "13800000001")
    assert other.get("/surveys").status_code == 404
    assert other.get(f"/surveys/{survey.id}").status_code == 404
    dept = client.application.test_client()
    login(dept, "dept")
    assert dept.get(f"/surveys/{survey.id}").status_code == 404


def test_the_poster_is_an_a4_page_with_the_qr_as_svg(client, people, areas):
    survey = make_survey(people)
    login(client, "community")
    page = client.get(f"/surveys/{survey.id}/communities/{areas.S1C1.id}/poster").get_data(as_text=True)
    assert "size: A4" in page and "<svg" in page and 'class="qr"' in page
    assert f"/s/{survey.id}/S1C1" in page
    assert client.get(f"/surveys/{survey.id}/communities/{areas.S1C2.id}/poster").status_code == 404


def test_a_signed_in_resident_answers_once_from_the_qr_link(client, people, areas):
    survey = make_survey(people)
    url = f"/s/{survey.id}/S1C1"
    assert "登录后填写" in client.get(url).get_data(as_text=True)
    login(client, "13800000001")
    assert "参加满意度调查" in client.get("/my").get_data(as_text=True)  # the home page invites
    bad = form(client, url, q2="养老")
    assert bad.status_code == 422 and count(SurveyResponse) == 0
    done = form(client, url, **GOOD)
    assert done.status_code == 200 and "感谢参加" in done.get_data(as_text=True)
    assert "已经参加过" in client.get(url).get_data(as_text=True)
    again = client.post(url, data={"csrf_token": csrf_from(client.get("/login")), **GOOD})
    assert again.status_code == 409 and count(SurveyResponse) == 1
    assert "参加满意度调查" not in client.get("/my").get_data(as_text=True)


def test_a_resident_without_an_account_answers_with_a_texted_link(client, people, areas):
    survey = make_survey(people)
    url = f"/s/{survey.id}/S1C1"
    assert form(client, url + "/link", phone="12").status_code == 422
    sent = form(client, url + "/link", phone="13900001111")
    assert sent.status_code == 302
    note = db.session.scalar(select(Notification).where(Notification.template == "LINK_SURVEY"))
    link = "/s/" + note.params["token"]
    page = client.get(link)
    assert page.headers["Referrer-Policy"] == "no-referrer" and "提交" in page.get_data(as_text=True)
    assert form(client, link, **GOOD).status_code == 200
    row = db.session.scalar(select(SurveyResponse))
    assert (row.channel, row.phone) == ("link", "13900001111")
    assert client.get(link).status_code == 403  # used up
    assert client.get("/s/forged.AAAAAAAA").status_code == 404
    # asking again for an answered phone: the same answer, nothing texted
    assert form(client, url + "/link", phone="13900001111").status_code == 302
    assert count(Notification) == 1


def test_staff_cannot_answer_on_the_resident_page_but_record_with_channel(client, people, areas):
    survey = make_survey(people)
    login(client, "grid")
    url = f"/s/{survey.id}/S1C1"
    assert "代录" in client.get(url).get_data(as_text=True)
    assert form(client, url, **GOOD).status_code == 403
    assert client.post(url + "/link", data={"csrf_token": csrf_from(client.get(url)),
                                            "phone": "13900001111"}).status_code == 403
    record = f"/surveys/{survey.id}/communities/{areas.S1C1.id}/record"
    assert form(client, record, phone="13900002222", **GOOD).status_code == 422  # no channel
    assert form(client, record, phone="13900002222", channel="visit", **GOOD).status_code == 302
    row = db.session.scalar(select(SurveyResponse))
    assert (row.channel, row.recorded_by_id) == ("visit", people.grid.id)
    assert client.get(f"/surveys/{survey.id}/communities/{areas.S1C2.id}/record").status_code == 404


def test_public_shows_aggregates_and_nobody(client, people, areas):
    survey = make_survey(people, min_responses=1)
    answer_as(people.resident, survey, areas.S1C1, level="very_satisfied")
    answer_as(people.resident2, survey, areas.S1C1, level="dissatisfied")
    page = client.get("/public/surveys").get_data(as_text=True)
    assert survey.title in page and "1 / 4" in page and "样本不足" in page
    assert "13800000001" not in page and "多办活动" not in page  # no phone, no free text
    assert "/public/surveys" in client.get("/public").get_data(as_text=True)
    survey.starts_on = START + timedelta(days=30)
    survey.ends_on = START + timedelta(days=40)
    db.session.commit()
    assert survey.title not in client.get("/public/surveys").get_data(as_text=True)  # not started


def test_closed_survey_refuses_answers(client, people, areas):
    survey = make_survey(people, days=1)  # ended before today
    login(client, "13800000001")
    url = f"/s/{survey.id}/S1C1"
    assert "不在进行中" in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"csrf_token": csrf_from(client.get(url)), **GOOD}).status_code == 403
    assert client.get(f"/s/{survey.id}/S9C9").status_code == 404
    assert client.get(f"/s/{survey.id}/S1").status_code == 404  # a street is not a community
    assert count(SurveyResponse) == 0
