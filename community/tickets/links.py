"""Single-use resident links (DOMAIN.md "好差评": who may rate).

A request filed without an account (代办, hotline, anonymous Open311) has no
account to sign in with, and its tracking code is known to the staff who typed it
in. So the contact phone gets a link by text message: at filing (it can cancel
the request while no unit has accepted it) and at each 办结 (it can rate that
resolution, or reopen it, until the rating window ends). Whatever is done with it
first uses it up; a newer link replaces an unused older one.

The link carries a random secret, signed with the app's key (a forged or mangled
link is refused before the database is read); only the secret's SHA-256 is kept.
It is short (/r/ and 25 characters: 96 random bits and a 48-bit tag), because a
gateway's template variable holds 35 characters at most (issue 26); links texted
before that, signed the long way, still open.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from community.core.errors import Conflict, NotAllowed, NotFound
from community.core.extensions import db

from .models import ResidentLink, Ticket

SALT = "community.resident-link"
STEPS = ("cancel", "reopen", "rate")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _tag(secret: str) -> str:
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{SALT}:{secret}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()[:6]).decode()


def _unsign(token: str) -> str:
    secret, dot, tag = (token or "").partition(".")
    if dot and len(token) <= 40:  # the short form
        if len(secret) == 16 and hmac.compare_digest(_tag(secret), tag):
            return secret
        raise BadSignature("bad tag")
    return str(_serializer().loads(token or ""))


def issue(ticket: Ticket, now: datetime, resolution=None, expires_at: datetime | None = None) -> str:
    """A new link for `ticket` (replacing any unused one); returns the token for the URL."""
    revoke(ticket, now)
    secret = secrets.token_urlsafe(12)
    db.session.add(ResidentLink(ticket=ticket, resolution=resolution, secret_hash=_hash(secret),
                                created_at=now, expires_at=expires_at))
    return f"{secret}.{_tag(secret)}"


def revoke(ticket: Ticket, now: datetime) -> None:
    if ticket.id is None:
        return
    db.session.execute(update(ResidentLink).where(
        ResidentLink.ticket_id == ticket.id, ResidentLink.used_at.is_(None),
        ResidentLink.revoked_at.is_(None)).values(revoked_at=now))


def find(token: str, now: datetime) -> ResidentLink:
    """The link for this token, still usable; refused with the reason otherwise."""
    try:
        secret = _unsign(token)
    except BadSignature:
        raise NotFound(_("这个链接无效。")) from None
    link = db.session.scalar(select(ResidentLink).where(ResidentLink.secret_hash == _hash(str(secret))))
    if link is None:
        raise NotFound(_("这个链接无效。"))
    if link.used_at is not None:
        raise NotAllowed(_("这个链接已经用过了，每个链接只能用一次。"))
    if link.revoked_at is not None:
        raise NotAllowed(_("这个链接已被新的短信链接取代，请使用最新的一条。"))
    if link.expires_at is not None and now > link.expires_at:
        raise NotAllowed(_("这个链接已过期。"))
    return link


def use(link: ResidentLink, step: str, now: datetime) -> None:
    """Use the link up, in the caller's transaction. A conditional UPDATE: of two
    requests with the same link at once, exactly one matches the row."""
    assert step in STEPS
    done = db.session.execute(update(ResidentLink).where(
        ResidentLink.id == link.id, ResidentLink.used_at.is_(None), ResidentLink.revoked_at.is_(None))
        .values(used_at=now, used_for=step).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(_("这个链接已经用过了，每个链接只能用一次。"))


def link_url(token: str) -> str:
    """Absolute when the site's address is known (COMMUNITY_PUBLIC_URL, or the request's)."""
    base = current_app.config.get("COMMUNITY_PUBLIC_URL") or (
        request.url_root if has_request_context() else "")
    return base.rstrip("/") + "/r/" + token


def text_link(ticket: Ticket, now: datetime, resolution=None, expires_at=None) -> None:
    """Issue a link and queue its text to the contact phone (sent through the outbox
    with the request's other messages). Nothing without a phone."""
    from community.sms.services import queue_notice

    if not ticket.contact_phone:
        return
    token = issue(ticket, now, resolution, expires_at)
    queue_notice(phone=ticket.contact_phone, code="LINK_CANCEL" if resolution is None else "LINK_RATE",
                 params={"code": ticket.tracking_code, "token": token}, now=now, user_id=None, ticket=ticket)
