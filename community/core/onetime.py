"""Single-use links texted to a phone (a request's cancel/rate/reopen link, a survey's).

A link carries a random secret and a short HMAC tag of it under the app's key and a
salt of its kind, so a forged or mangled link is refused before the database is read;
only the secret's SHA-256 is stored. 25 characters (96 random bits, a 48-bit tag): a
gateway's template variable holds 35 at most. The link's row (any model with
`secret_hash`, `used_at`, `revoked_at`, `expires_at`) says whether it may still be used.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from .errors import Conflict, NotAllowed, NotFound
from .extensions import db


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _tag(secret: str, salt: str) -> str:
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{salt}:{secret}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()[:6]).decode()


def new_secret() -> str:
    return secrets.token_urlsafe(12)


def token_for(secret: str, salt: str) -> str:
    return f"{secret}.{_tag(secret, salt)}"


def secret_of(token: str, salt: str) -> str | None:
    """The secret of a well-formed, correctly tagged token; None otherwise."""
    secret, dot, tag = (token or "").partition(".")
    if dot and len(secret) == 16 and hmac.compare_digest(_tag(secret, salt), tag):
        return secret
    return None


def usable(model, secret: str | None, now: datetime):
    """The link row of this secret, still usable; refused with the reason otherwise."""
    link = db.session.scalar(select(model).where(model.secret_hash == secret_hash(secret))) \
        if secret is not None else None
    if link is None:
        raise NotFound(_("这个链接无效。"))
    if link.used_at is not None:
        raise NotAllowed(_("这个链接已经用过了，每个链接只能用一次。"))
    if link.revoked_at is not None:
        raise NotAllowed(_("这个链接已被新的短信链接取代，请使用最新的一条。"))
    if link.expires_at is not None and now > link.expires_at:
        raise NotAllowed(_("这个链接已过期。"))
    return link


def use_up(model, link, now: datetime, **values) -> None:
    """Use it up in the caller's transaction: a conditional UPDATE, so of two uses at
    once exactly one matches the row."""
    done = db.session.execute(update(model).where(
        model.id == link.id, model.used_at.is_(None), model.revoked_at.is_(None))
        .values(used_at=now, **values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(_("这个链接已经用过了，每个链接只能用一次。"))
