"""Creating, checking and revoking API tokens.

A secret is ``cst_`` followed by 43 random URL-safe characters (256 bits); the
database keeps its SHA-256, so a leaked table gives no usable token. A fast
hash is right here: the secret is long and random, not a password.

Each process keeps the tokens it has checked (with their users) for the requests that
follow, so a token request needs no SELECT of its own. An entry holds while VERSION_KEY
in Redis still has the value it was made under. Every committed change to a token or to
a user, flushed through the ORM or announced with `changed()` beside a bulk UPDATE (but
the last_used_at and last_login_at hints alone), sets a new random value as the
transaction commits, so a revocation, a deactivation or a new role holds in every
process from the next request on. The value is read in the limiter's Redis round trip
(core.ratelimit's read_with_limits), so the check costs no trip of its own. Without
Redis nothing is kept. An entry also ends when its last_used_at hint is due
(TOUCH_EVERY): that request reads the row again and writes the hint.
"""
import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import joinedload, make_transient_to_detached, object_session

from community.auth.models import Role, User
from community.core.errors import NotAllowed, NotFound, ValidationFailed
from community.core import versions
from community.core.extensions import db

from .models import ApiToken

SECRET_PREFIX = "cst_"
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is a hint, not a write per request
NAME_MAX = 64
VERSION_KEY = "api-tokens:version"  # a random value, new at every change to a token or a user
CACHE_MAX = 10_000  # tokens kept per process; past it, the lot is dropped and refilled
_cache: dict[str, tuple] = {}  # token hash -> (version, token key, token copy, user key, user copy)


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
    token_hash = hash_secret(secret)
    version = _version()
    kept = _cache.get(token_hash) if version is not None else None
    if kept is not None and kept[0] == version and not _touch_due(kept[2], now):
        token = _into_session(*kept[1:])  # no SELECT
        return token if token.usable(now) else None
    token = db.session.scalar(_by_hash(), {"token_hash": token_hash})
    if token is None or not token.usable(now):
        _cache.pop(token_hash, None)
        return None
    if _touch_due(token, now):
        token.last_used_at = now  # committed with the request, or by the view's commit
    if version is not None:
        if len(_cache) >= CACHE_MAX:
            _cache.clear()
        _cache[token_hash] = (version, *_detached(token), *_detached(token.user))
    return token


def _touch_due(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY


def _detached(row):
    """(identity key, a copy of the row's columns as if loaded by no session)."""
    mapper = inspect(row).mapper
    copy = mapper.class_manager.new_instance()
    for column in mapper.column_attrs:
        setattr(copy, column.key, getattr(row, column.key))
    make_transient_to_detached(copy)  # relationships unloaded: read on use, as after a query
    return inspect(copy).key, copy


def _into_session(token_key, token, user_key, user) -> ApiToken:
    """The kept token and its user in this request's session. A row the session already
    holds is used as it is (a query would not overwrite it either); token.user is then
    found in the session by its key, without a query."""
    session = db.session
    user = session.identity_map.get(user_key) or session.merge(user, load=False)
    token = session.identity_map.get(token_key) or session.merge(token, load=False)
    token.user  # noqa: B018 - from the identity map, while `user` still holds it there
    return token


def _version() -> bytes | None:
    """VERSION_KEY's value: read with the limits if they ran, else as the other copies read
    theirs (core.versions, which starts one when Redis has none); None without Redis."""
    from community.core.ratelimit import read_ahead

    found, value = read_ahead(VERSION_KEY)
    if found and value is not None:
        return value
    try:
        return versions.started(VERSION_KEY)
    except Exception:  # noqa: BLE001 - Redis away: check every token in the database
        return None


def version_key_for_request():
    """For core.ratelimit.read_with_limits: the version, on requests with a bearer token."""
    from flask import request

    return VERSION_KEY if request.headers.get("Authorization", "")[:7].lower() == "bearer " else None


# -- telling every process that tokens or users changed ---------------------------------------

def changed(session=None) -> None:
    """Call beside a bulk UPDATE or DELETE of tokens or users: the commit announces it."""
    versions.change(session or db.session, VERSION_KEY)


def _row_changed(_mapper, _connection, target) -> None:
    """after_update / after_delete of an ApiToken or a User (community.wiring)."""
    hint = "last_used_at" if isinstance(target, ApiToken) else "last_login_at"
    if not any(attr.history.has_changes() for attr in inspect(target).attrs if attr.key != hint):
        return  # a hint only (a token's use, a sign-in): every copy stays good
    session = object_session(target)
    if session is not None:
        # After the commit a new version (core.versions._renew): every process's copies,
        # this one's too, no longer match it.
        versions.change(session, VERSION_KEY)


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
