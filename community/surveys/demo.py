"""A demo survey for `seed-demo`: county1's, running now, with answers recorded from staff
visits and calls, so coverage and the communities behind show at once. The demo resident
has not answered: their home page (/my) invites them."""
import random
from datetime import timedelta

from sqlalchemy import select

from community.auth.models import User
from community.core.extensions import db

from . import services

QUESTIONS = ("满意度：您对社区服务总体满意吗？\n"
             "单选：您最常用哪项社区服务？ | 养老 | 托育 | 家政 | 物业 | 文体活动\n"
             "满意度：您对网格员上门服务满意吗？\n"
             "文字：您对社区还有什么建议？")
LEVELS = ["very_satisfied"] * 4 + ["satisfied"] * 4 + ["basic"] * 2 + ["dissatisfied"]


def seed_surveys(now):
    county = db.session.scalar(select(User).where(User.username == "county1"))
    if county is None:
        return
    today = services.today(now)
    survey = services.create_survey(county, now - timedelta(days=14), title="2026年第四季度社区服务满意度调查",
                                    questions_text=QUESTIONS, starts_on=today - timedelta(days=14),
                                    ends_on=today + timedelta(days=30), min_responses=5)
    rng = random.Random(29)
    for index, community in enumerate(services.communities(survey)):
        for number in range(rng.choice([0, 2, 4, 6, 8]) if index else 6):
            form = {"q1": rng.choice(LEVELS), "q2": rng.choice(["养老", "托育", "家政", "物业", "文体活动"]),
                    "q3": rng.choice(LEVELS)}
            services.record_answer(county, survey, community, now - timedelta(days=rng.randint(0, 13)), form,
                                   phone=f"1390{index:03d}{number:04d}",
                                   channel=rng.choice(["visit", "call"]))
    db.session.flush()
