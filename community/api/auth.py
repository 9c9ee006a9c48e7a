"""Who is calling the API: a bearer token, or the signed-in session.

* ``Authorization: Bearer cst_…``: the token's user, whatever the cookies say;
  a bad, revoked or expired token is a 401 (never a fall-back to the session).
* No Authorization header: the Flask-Login session, if any. Writes through a
  session need the CSRF token in an ``X-CSRFToken`` header (GET /api/v1/me
  hands it out), so another site cannot post with the resident's cookie.
* Neither: anonymous; only the public reference resources answer.

Token requests are exempt from Flask-WTF's CSRF check (a bearer token is not
sent by the browser on its own); the blueprint is exempted and the session
case is checked here instead.
"""
import hashlib

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from community.core.errors import DomainError, NotAllowed
from community.core.extensions import csrf, db
from community.core.ratelimit import read_with_limits
from community.core.timeutil import utcnow

from . import tokens

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
read_with_limits(tokens.version_key_for_request)  # the tokens' version in the limiter's round trip


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"

    def default_message(self):
        return _("请先登录，或在 Authorization 头中提供有效的 API 令牌。")


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated(_("Authorization 头应为“Bearer 令牌”。"))
    return secret.strip()


def authenticate() -> None:
    """Run before every API view: sets g.api_user and g.api_token."""
    g.api_user, g.api_token = None, None
    secret = _bearer()
    if secret is not None:
        token = tokens.find_usable(secret, utcnow())
        if token is None:
            raise Unauthenticated(_("API 令牌无效、已过期或已被撤销。"))
        if db.session.dirty:
            db.session.commit()  # last_used_at, at most every few minutes
        if not token.can_write and request.method not in SAFE_METHODS:
            raise NotAllowed(_("这是只读令牌，不能进行修改操作。"))
        g.api_user, g.api_token = token.user, token
        return
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # raises CSRFError, answered as a 400 {"error": {"code": "csrf"}}
        g.api_user = current_user._get_current_object()


def api_user():
    return g.get("api_user")


def require_user():
    user = api_user()
    if user is None:
        raise Unauthenticated()
    return user


def require_staff():
    user = require_user()
    if not user.is_staff:
        raise NotAllowed(_("仅限工作人员使用。"))
    return user


def require_resident():
    user = require_user()
    if not user.is_resident:
        raise NotAllowed(_("仅限居民使用。"))
    return user


def rate_key() -> str:
    """The limiter's key: the token (by its hash), else the session user, else the address.

    Runs before authentication, so it reads the header itself and never
    touches the database.
    """
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return "api-token:" + hashlib.sha256(secret.strip().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    if current_user.is_authenticated:
        return f"api-user:{current_user.get_id()}"
    return f"api-ip:{get_remote_address()}"


def address_key() -> str:
    return f"api-addr:{get_remote_address()}"
