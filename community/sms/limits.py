"""Caps against abuse and cost, counted in Redis in fixed windows of the given `now`.

- per phone (COMMUNITY_SMS_PHONE_CAPS, e.g. "3/minute;10/hour;20/day"): every text
  to one number counts;
- per caller's IP (COMMUNITY_SMS_IP_CAPS) on what texts a number the caller typed
  (the sign-up code);
- a daily budget (COMMUNITY_SMS_DAILY_BUDGET texts, 0 = none): past it notices wait
  for the next day, codes still go, and the admins are told once that day.

Redis down: the caps let the text through (a resident waiting for a code matters
more) and say so in the log.
"""
import logging
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError

from community.core import signals
from community.core.extensions import db

from .models import SmsOptOut

log = logging.getLogger(__name__)

SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class Capped(Exception):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def parse_caps(spec: str) -> list[tuple[int, int, str]]:
    """"3/minute;10/hour" → [(3, 60, "minute"), (10, 3600, "hour")]."""
    caps = []
    for part in (spec or "").replace(",", ";").split(";"):
        if not part.strip():
            continue
        count, _, unit = part.strip().partition("/")
        unit = unit.strip().rstrip("s")
        if unit not in SECONDS or not count.strip().isdigit():
            raise ValueError(f"a cap is COUNT/UNIT (second, minute, hour, day), not {part!r}")
        caps.append((int(count), SECONDS[unit], unit))
    return caps


def _redis():
    return current_app.extensions["redis"]


def _keys(prefix: str, who: str, caps, now: datetime):
    stamp = int(now.timestamp())
    return [(f"community:sms:{prefix}:{who}:{unit}:{stamp // seconds}", count, seconds)
            for count, seconds, unit in caps]


def _check(prefix: str, who: str, spec: str, now: datetime, *, count: bool) -> None:
    caps = parse_caps(spec)
    if not caps or not who:
        return
    keys = _keys(prefix, who, caps, now)
    try:
        redis = _redis()
        used = redis.mget([key for key, _c, _s in keys])
        for (key, limit, _s), value in zip(keys, used):
            if int(value or 0) >= limit:
                raise Capped(f"{prefix} {key.rsplit(':', 2)[1]}")
        if count:
            with redis.pipeline(transaction=False) as pipe:
                for key, _limit, seconds in keys:
                    pipe.incr(key)
                    pipe.expire(key, seconds + 60)
                pipe.execute()
    except RedisError as exc:
        log.warning("sms caps: Redis unavailable (%s); not counted", exc)


def check_phone(phone: str, now: datetime) -> None:
    _check("phone", phone, current_app.config.get("COMMUNITY_SMS_PHONE_CAPS", ""), now, count=False)


def count_phone(phone: str, now: datetime) -> None:
    """Count one text sent to `phone` (after the gateway took it)."""
    spec = current_app.config.get("COMMUNITY_SMS_PHONE_CAPS", "")
    caps = parse_caps(spec)
    try:
        with _redis().pipeline(transaction=False) as pipe:
            for key, _limit, seconds in _keys("phone", phone, caps, now):
                pipe.incr(key)
                pipe.expire(key, seconds + 60)
            pipe.execute()
    except RedisError as exc:
        log.warning("sms caps: Redis unavailable (%s); not counted", exc)


def take_ip(address: str, now: datetime) -> None:
    """One text triggered from `address` (sign-up code); Capped past the IP caps."""
    _check("ip", address or "", current_app.config.get("COMMUNITY_SMS_IP_CAPS", ""), now, count=True)


def _budget_key(now: datetime) -> str:
    return f"community:sms:budget:{now:%Y-%m-%d}"


def over_budget(now: datetime) -> bool:
    budget = int(current_app.config.get("COMMUNITY_SMS_DAILY_BUDGET") or 0)
    if budget <= 0:
        return False
    try:
        return int(_redis().get(_budget_key(now)) or 0) >= budget
    except RedisError:
        return False


def spend(now: datetime) -> None:
    """Count one text against today's budget; the first to reach it alerts the admins."""
    budget = int(current_app.config.get("COMMUNITY_SMS_DAILY_BUDGET") or 0)
    try:
        redis = _redis()
        used = redis.incr(_budget_key(now))
        redis.expire(_budget_key(now), 2 * 86400)
        if budget > 0 and used >= budget and redis.set(_budget_key(now) + ":alerted", 1, nx=True, ex=2 * 86400):
            alert_admins(budget, now)
    except RedisError as exc:
        log.warning("sms budget: Redis unavailable (%s); not counted", exc)


def spent_today(now: datetime) -> int:
    try:
        return int(_redis().get(_budget_key(now)) or 0)
    except RedisError:
        return 0


def alert_admins(budget: int, now: datetime) -> None:
    """Logged here; the admins' in-app message is the staff messages' (signals.sms_budget_spent)."""
    log.error("sms: today's budget of %d texts is spent; notices wait for tomorrow", budget)
    signals.sms_budget_spent.send(budget, now=now)


def opted_out(phone: str) -> bool:
    return db.session.get(SmsOptOut, phone) is not None
