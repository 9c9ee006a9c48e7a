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
from datetime import datetime

from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from community.core import onetime
from community.core.extensions import db

from .models import ResidentLink, Ticket

SALT = "community.resident-link"
STEPS = ("cancel", "reopen", "rate")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _unsign(token: str) -> str | None:
    """The secret of a short token (community.core.onetime) or of the long, older form."""
    if "." in (token or "") and len(token) <= 40:  # the short form
        return onetime.secret_of(token, SALT)
    try:
        return str(_serializer().loads(token or ""))
    except BadSignature:
        return None


def issue(ticket: Ticket, now: datetime, resolution=None, expires_at: datetime | None = None) -> str:
    """A new link for `ticket` (replacing any unused one); returns the token for the URL."""
    revoke(ticket, now)
    secret = onetime.new_secret()
    db.session.add(ResidentLink(ticket=ticket, resolution=resolution, secret_hash=onetime.secret_hash(secret),
                                created_at=now, expires_at=expires_at))
    return onetime.token_for(secret, SALT)


def revoke(ticket: Ticket, now: datetime) -> None:
    if ticket.id is None:
        return
    db.session.execute(update(ResidentLink).where(
        ResidentLink.ticket_id == ticket.id, ResidentLink.used_at.is_(None),
        ResidentLink.revoked_at.is_(None)).values(revoked_at=now))


def find(token: str, now: datetime) -> ResidentLink:
    """The link for this token, still usable; refused with the reason otherwise."""
    return onetime.usable(ResidentLink, _unsign(token), now)


def use(link: ResidentLink, step: str, now: datetime) -> None:
    """Use the link up, in the caller's transaction (of two uses at once, one wins)."""
    assert step in STEPS
    onetime.use_up(ResidentLink, link, now, used_for=step)


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
