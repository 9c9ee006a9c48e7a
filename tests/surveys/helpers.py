"""Building surveys for tests through the real services."""
from datetime import date, timedelta

from community.core.extensions import db
from community.surveys import services
from tests.factories import T0

QUESTIONS = "满意度：您对社区服务总体满意吗？\n单选：您最常用哪项服务？ | 养老 | 托育 | 家政\n文字：您的建议"
GOOD = {"q1": "satisfied", "q2": "养老", "q3": "多办活动"}
START = date(2026, 11, 20)


def make_survey(people, *, min_responses=2, questions=QUESTIONS, days=10, now=T0):
    survey = services.create_survey(people.county, now, title="2026年社区服务满意度调查",
                                    questions_text=questions, starts_on=START,
                                    ends_on=START + timedelta(days=days), min_responses=min_responses)
    db.session.commit()
    return survey


def answer_as(user, survey, community, level="satisfied", now=T0):
    response = services.answer_signed_in(user, survey, community, now, {**GOOD, "q1": level})
    db.session.commit()
    return response
