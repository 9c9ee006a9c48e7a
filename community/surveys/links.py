"""Single-use survey links texted to a phone (a resident without an account, or one
not signed in on this phone). Signed like the request links (community.tickets.links):
the same single-use scheme (community.core.onetime), under a salt of their own."""
from datetime import datetime

from sqlalchemy import update

from community.core import onetime
from community.core.extensions import db

from .models import SurveyLink

SALT = "community.survey-link"


def issue(survey, community, phone: str, now: datetime, expires_at: datetime) -> str:
    """A new link for this phone and survey (an unused older one stops working)."""
    db.session.execute(update(SurveyLink).where(
        SurveyLink.survey_id == survey.id, SurveyLink.phone == phone, SurveyLink.used_at.is_(None),
        SurveyLink.revoked_at.is_(None)).values(revoked_at=now))
    secret = onetime.new_secret()
    db.session.add(SurveyLink(survey_id=survey.id, community_id=community.id, phone=phone,
                              secret_hash=onetime.secret_hash(secret), created_at=now, expires_at=expires_at))
    return onetime.token_for(secret, SALT)


def find(token: str, now: datetime) -> SurveyLink:
    """The usable link for this token; refused with the reason otherwise."""
    return onetime.usable(SurveyLink, onetime.secret_of(token, SALT), now)


def use(link: SurveyLink, now: datetime) -> None:
    """Use it up in the caller's transaction; of two uses at once exactly one matches."""
    onetime.use_up(SurveyLink, link, now)
