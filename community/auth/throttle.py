"""Sign-in failures slow an address and a login with growing delays (issue 21).

No account is ever locked: after COMMUNITY_LOGIN_MAX_FAILURES failures of one
login (a phone or username, counted whether or not an account exists, so the
answer never tells a registered number from an unregistered one) each further
failure doubles the wait before the next try (2 s, 4 s, … up to
COMMUNITY_LOGIN_LOCK_MINUTES). An address gets four times as many failures free
(many people share a carrier's address) and then the same growing waits. A
browser that has signed in to the login before carries a signed cookie that lets
it past the login's own wait (not the address's): someone guessing another's
password from elsewhere cannot keep its owner out.

Counters live in Redis (shared by every web process, gone after a quiet day). If
Redis is away the waits are skipped; the per-address rate limit (Flask-Limiter,
which falls back to memory) still holds.
"""
import hashlib
import logging
import math
from datetime import datetime

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from redis.exceptions import RedisError

from community.core.errors import DomainError
from community.core.extensions import get_redis

log = logging.getLogger(__name__)
KEY = "community:login:fail:{kind}:{id}"
ADDRESS_FACTOR = 4           # failures an address gets free, in multiples of a login's
FIRST_WAIT_SECONDS = 2
COUNTER_TTL = 24 * 3600      # a counter is forgotten a day after its last failure
KNOWN_COOKIE = "known_login"
KNOWN_DAYS = 180


class TooManyTries(DomainError):
    status = 429
    code = "too_many_tries"

    def __init__(self, seconds: int):
        from flask_babel import gettext as _

        super().__init__(_("尝试次数过多，请 %(s)d 秒后再试。", s=seconds))
        self.retry_after = seconds


def login_key(login: str) -> str:
    """What a login's counter is kept under: a hash, so Redis holds no phone numbers."""
    return hashlib.sha256((login or "").strip().lower().encode()).hexdigest()[:32]


def _keys(login: str, address: str, known: bool) -> dict[str, tuple[str, int]]:
    free = current_app.config["COMMUNITY_LOGIN_MAX_FAILURES"]
    keys = {"address": (KEY.format(kind="addr", id=address or "-"), free * ADDRESS_FACTOR)}
    if not known:
        keys["login"] = (KEY.format(kind="login", id=login_key(login)), free)
    return keys


def _wait(failures: int, free: int) -> float:
    if failures < free:
        return 0
    cap = current_app.config["COMMUNITY_LOGIN_LOCK_MINUTES"] * 60
    return min(FIRST_WAIT_SECONDS * 2 ** (failures - free), cap)


def seconds_to_wait(login: str, address: str, now: datetime, known: bool = False) -> int:
    """0 if a try may be made now, else how many seconds until it may."""
    try:
        redis = get_redis()
        longest = 0.0
        for key, free in _keys(login, address, known).values():
            failures, last = redis.hmget(key, "n", "last")
            if failures is None:
                continue
            until = float(last) + _wait(int(failures), free)
            longest = max(longest, until - now.timestamp())
        return max(0, math.ceil(longest))
    except RedisError as exc:
        log.warning("sign-in throttle unavailable (%s); the rate limit still applies", exc)
        return 0


def record_failure(login: str, address: str, now: datetime, known: bool = False) -> None:
    try:
        with get_redis().pipeline() as pipe:
            for key, _free in _keys(login, address, known).values():
                pipe.hincrby(key, "n", 1)
                pipe.hset(key, "last", now.timestamp())
                pipe.expire(key, COUNTER_TTL)
            pipe.execute()
    except RedisError as exc:
        log.warning("sign-in failure not counted (%s)", exc)


def record_success(login: str) -> None:
    """The login's own count starts again; the address's does not (one success of an
    attacker's own account must not reset their guessing elsewhere)."""
    try:
        get_redis().delete(KEY.format(kind="login", id=login_key(login)))
    except RedisError as exc:
        log.warning("sign-in success not recorded (%s)", exc)


# -- a browser that signed in to this login before ----------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-login")


def is_known_browser(login: str) -> bool:
    value = request.cookies.get(KNOWN_COOKIE)
    if not value:
        return False
    try:
        return login_key(login) in _serializer().loads(value)
    except BadSignature:
        return False


def remember_browser(response, login: str) -> None:
    """After a successful sign-in: this browser may skip the login's wait next time."""
    try:
        known = _serializer().loads(request.cookies.get(KNOWN_COOKIE, ""))
    except BadSignature:
        known = []
    known = ([k for k in known if k != login_key(login)] + [login_key(login)])[-5:]
    config = current_app.config
    response.set_cookie(KNOWN_COOKIE, _serializer().dumps(known), max_age=KNOWN_DAYS * 86400,
                        httponly=True, samesite="Lax", secure=config["SESSION_COOKIE_SECURE"])
