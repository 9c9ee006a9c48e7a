"""Creating, checking and revoking API tokens.

A secret is ``cst_`` followed by 43 random URL-safe characters (256 bits); the
database keeps its SHA-256, so a leaked table gives no usable token. A fast
hash is right here: the secret is long and random, not a password.
"""
import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from community.auth.models import Role, User
from community.core.errors import NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db

from .models import ApiToken

SECRET_PREFIX = "cst_"
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is a hint, not a write per request
NAME_MAX = 64


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User, now: datetime, *, name: str = "", created_by: User | None = None,
                 can_write: bool = True, days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret, shown this once.

    Users create their own; the admin may create one for anybody.
    """
    if created_by is not None and created_by.id != user.id and created_by.role != Role.ADMIN:
        raise NotAllowed(_("只能为自己创建令牌。"))
    if not user.active:
        raise ValidationFailed(_("该账号已停用。"), field="user")
    name = (name or "").strip() or _("未命名令牌")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_("名称不能超过 %(n)d 个字。", n=NAME_MAX), field="name")
    if days is None:
        days = current_app.config["COMMUNITY_API_TOKEN_DAYS"]
    if not isinstance(days, int) or days < 0 or days > 3650:
        raise ValidationFailed(_("有效期应为 0 到 3650 天（0 表示不过期）。"), field="days")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_secret(secret),
                     prefix=secret[:len(SECRET_PREFIX) + 6], can_write=bool(can_write),
                     created_at=now, created_by=created_by or user,
                     expires_at=now + timedelta(days=days) if days else None)
    db.session.add(token)
    db.session.flush()
    return token, secret


@functools.cache
def _by_hash():
    """One statement, built once: the user comes with the token (usable() and
    every view need it)."""
    return (select(ApiToken).options(joinedload(ApiToken.user))
            .where(ApiToken.token_hash == bindparam("token_hash")))


def find_usable(secret: str, now: datetime) -> ApiToken | None:
    """The token this secret belongs to, if it may be used now."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(_by_hash(), {"token_hash": hash_secret(secret)})
    if token is None or not token.usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token.last_used_at = now  # committed with the request, or by the view's commit
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def get_token(token_id: int, actor: User) -> ApiToken:
    """A token the actor may manage: their own, or any for the admin; else NotFound."""
    token = db.session.get(ApiToken, token_id) if token_id else None
    if token is None or (token.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound()
    return token


def revoke(token: ApiToken, now: datetime) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def user_by_login(login: str) -> User | None:
    """A staff username or a resident's phone number."""
    login = (login or "").strip()
    if not login:
        return None
    return db.session.scalar(select(User).where((User.username == login) | (User.phone == login)))
