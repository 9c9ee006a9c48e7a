"""A resident's survey answers in their data download, and forgotten with their account
(PIPL, DOMAIN.md "Privacy"): the phone and the free text go, the levels and choices stay
so the figures do not change."""
from sqlalchemy import or_, select, update

from community.core.extensions import db
from community.core.timeutil import to_local

from .models import SurveyLink, SurveyResponse


def _owned(user):
    return or_(SurveyResponse.user_id == user.id, SurveyResponse.phone == (user.phone or "\x00"))


def export(user) -> list[dict]:
    rows = db.session.scalars(select(SurveyResponse).where(_owned(user)).order_by(SurveyResponse.created_at))
    return [{"survey": r.version.title, "version": r.version.number, "community": r.community.name,
             "answered_at": to_local(r.created_at).isoformat(timespec="seconds"), "channel": r.channel,
             "answers": r.answers, "counted": r.counted} for r in rows]


def forget(user) -> int:
    """Before the account loses its phone: each answer's phone becomes a placeholder (the
    unique key still holds per row) and its text answers are dropped."""
    rows = list(db.session.scalars(select(SurveyResponse).where(_owned(user))))
    for row in rows:
        texts = {q["key"] for q in row.version.questions if q["kind"] == "text"}
        row.answers = {k: v for k, v in row.answers.items() if k not in texts}
        row.phone, row.user_id = f"deleted-{row.id}", None
    if user.phone:
        db.session.execute(update(SurveyLink).where(SurveyLink.phone == user.phone)
                           .values(phone=""))
    return len(rows)
