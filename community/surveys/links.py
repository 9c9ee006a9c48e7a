"""Single-use survey links texted to a phone (a resident without an account, or one
not signed in on this phone). Signed like the request links (community.tickets.links):
a random secret and a short HMAC tag, so a forged link is refused before the database
is read; only the secret's SHA-256 is kept. 25 characters, inside the gateway's limit."""
import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from community.core.errors import Conflict, NotAllowed, NotFound
from community.core.extensions import db

from .models import SurveyLink

SALT = "community.survey-link"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _tag(secret: str) -> str:
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{SALT}:{secret}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()[:6]).decode()


def issue(survey, community, phone: str, now: datetime, expires_at: datetime) -> str:
    """A new link for this phone and survey (an unused older one stops working)."""
    db.session.execute(update(SurveyLink).where(
        SurveyLink.survey_id == survey.id, SurveyLink.phone == phone, SurveyLink.used_at.is_(None),
        SurveyLink.revoked_at.is_(None)).values(revoked_at=now))
    secret = secrets.token_urlsafe(12)
    db.session.add(SurveyLink(survey_id=survey.id, community_id=community.id, phone=phone,
                              secret_hash=_hash(secret), created_at=now, expires_at=expires_at))
    return f"{secret}.{_tag(secret)}"


def find(token: str, now: datetime) -> SurveyLink:
    """The usable link for this token; refused with the reason otherwise."""
    secret, dot, tag = (token or "").partition(".")
    if not dot or len(secret) != 16 or not hmac.compare_digest(_tag(secret), tag):
        raise NotFound(_("这个链接无效。"))
    link = db.session.scalar(select(SurveyLink).where(SurveyLink.secret_hash == _hash(secret)))
    if link is None:
        raise NotFound(_("这个链接无效。"))
    if link.used_at is not None:
        raise NotAllowed(_("这个链接已经用过了，每个链接只能用一次。"))
    if link.revoked_at is not None:
        raise NotAllowed(_("这个链接已被新的短信链接取代，请使用最新的一条。"))
    if now > link.expires_at:
        raise NotAllowed(_("这个链接已过期。"))
    return link


def use(link: SurveyLink, now: datetime) -> None:
    """Use it up in the caller's transaction; of two uses at once exactly one matches."""
    done = db.session.execute(update(SurveyLink).where(
        SurveyLink.id == link.id, SurveyLink.used_at.is_(None), SurveyLink.revoked_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(_("这个链接已经用过了，每个链接只能用一次。"))
