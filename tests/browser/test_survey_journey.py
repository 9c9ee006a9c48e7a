"""Issue 29 §1 in a real browser: the community office prints its survey poster (an A4
page with the QR code as SVG); a resident opens the QR link on a phone, signs in and
answers; a neighbour without an account gets a single-use link by text and answers with
it; the county sees its coverage."""
from datetime import timedelta

from community.core.extensions import db
from community.surveys import services
from community.surveys.models import SurveyResponse
from community.core.timeutil import to_local, utcnow
from community.workqueue.models import Notification
from tests import factories

from .conftest import DESKTOP, PHONE

PASSWORD = factories.PASSWORD
QUESTIONS = "满意度：您对社区服务总体满意吗？\n单选：您最常用哪项服务？ | 养老 | 托育 | 家政\n文字：您的建议"


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_resident_answers_the_survey_from_the_qr_link_on_a_phone(app, visitor, people, areas):
    with app.app_context():
        today = to_local(utcnow()).date()
        survey = services.create_survey(db.session.merge(people.county), utcnow(), title="社区服务满意度调查",
                                        questions_text=QUESTIONS, starts_on=today - timedelta(days=1),
                                        ends_on=today + timedelta(days=14), min_responses=2)
        db.session.commit()
        survey_id = survey.id

    office = visitor(viewport=DESKTOP)
    office.login("community", PASSWORD)
    office.go(f"/surveys/{survey_id}/communities/{areas.S1C1.id}/poster")
    assert office.page.locator("svg.qr").count() == 1
    qr_url = office.page.inner_text(".url").strip()  # the address the QR code encodes
    assert qr_url.endswith(f"/s/{survey_id}/S1C1")
    office.shot("desktop-zh-survey-poster")

    resident = visitor(viewport=PHONE)
    phone = resident.page
    resident.go(qr_url)
    assert "社区1-1" in phone.inner_text("main")
    resident.submit("main a.button.big")  # 已有账号：登录后填写
    phone.fill("#login", "13800000001")
    phone.fill("#password", PASSWORD)
    resident.submit("main form button[type=submit], main form input[type=submit]")
    assert phone.url.endswith(f"/s/{survey_id}/S1C1"), phone.url  # back on the survey
    assert phone.locator("input[name=q1][required]").count() == 5  # five levels, one must be chosen
    phone.check("input[name=q1][value=satisfied]")
    phone.check("input[name=q2][value=养老]")
    phone.fill("#q3", "希望多办老年活动。")
    assert no_sideways_scroll(phone)
    resident.shot("phone-zh-survey-answer")
    resident.submit("form.survey-form button[type=submit]")
    assert "感谢参加" in phone.inner_text("main")
    resident.go(qr_url)
    assert "已经参加过" in phone.inner_text("main")

    neighbour = visitor(viewport=PHONE)
    neighbour.go(qr_url)
    neighbour.page.fill("#phone", "13900005555")
    neighbour.submit("main form[action$='/link'] button[type=submit]")
    assert "短信" in neighbour.flash()
    with app.app_context():
        token = db.session.scalar(db.select(Notification).where(
            Notification.template == "LINK_SURVEY")).params["token"]
    neighbour.go(f"/s/{token}")
    neighbour.page.check("input[name=q1][value=very_satisfied]")
    neighbour.page.check("input[name=q2][value=托育]")
    neighbour.submit("form.survey-form button[type=submit]")
    assert "感谢参加" in neighbour.page.inner_text("main")
    neighbour.go(f"/s/{token}")
    assert "用过" in neighbour.page.inner_text("main")

    with app.app_context():
        rows = db.session.scalars(db.select(SurveyResponse).order_by(SurveyResponse.id)).all()
        assert [(r.channel, r.community_id, r.counted) for r in rows] == [
            ("web", areas.S1C1.id, True), ("link", areas.S1C1.id, True)]

    county = visitor(viewport=DESKTOP)
    county.login("county", PASSWORD)
    county.go(f"/surveys/{survey_id}")
    coverage = county.page.inner_text("#coverage-h + p")
    assert "1 / 4" in coverage
    assert "社区1-2" in county.page.inner_text("main")  # behind
    assert county.console_errors == [] and resident.console_errors == []
