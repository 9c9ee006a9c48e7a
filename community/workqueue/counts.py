"""The figures above a work queue: requests per live state, overdue, the open ones of each
list (待我处理, 辖区内) and, for the API, how many match the filters.

A unit's own figures are counted when asked: a county's few thousand live requests come
from the partial indexes of migration 0013. The administrator's scope is the whole city
(85,000 live requests at 5 million: some 0.2 s of counting on every /work and
/api/v1/queue page, issue 30). Those figures are the same for every administrator, so
they are counted once per COMMUNITY_CITY_COUNTS_SECONDS and shared through Redis; the
page and the API say when they were counted. Without Redis they are counted each time.
"""
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from redis.exceptions import RedisError

from community.auth.models import User
from community.tickets.access import scope_is_city

log = logging.getLogger(__name__)
KEY = "community:queue:city-counts:"  # + what is counted (the view, or a filter's key)


@dataclass
class Counted:
    value: object
    counted_at: datetime
    shared: bool  # the city's figure from the shared copy, up to the setting's seconds old


def counted(user: User, what: str, count: Callable[[], object], now: datetime) -> Counted:
    """`count()` now, or, for a city-wide user, the shared figure named `what` while it is
    younger than COMMUNITY_CITY_COUNTS_SECONDS (counted again when it is older, or when
    `now` lies before it: a test's frozen clock, a server's clock set back)."""
    if not scope_is_city(user):
        return Counted(count(), now, False)
    seconds = current_app.config["COMMUNITY_CITY_COUNTS_SECONDS"]
    held = _read(what)
    if held is not None:
        value, at = held
        if at <= now < at + timedelta(seconds=seconds):
            return Counted(value, at, True)
    value = count()
    _write(what, value, now, seconds)
    return Counted(value, now, seconds > 0)


def _redis():
    return current_app.extensions["redis"]


def _read(what: str):
    try:
        raw = _redis().get(KEY + what)
    except (RedisError, OSError):
        log.warning("city counts: Redis not answering; counting %s now", what)
        return None
    if raw is None:
        return None
    try:
        stored = json.loads(raw)
        return stored["value"], datetime.fromisoformat(stored["at"])
    except (ValueError, KeyError, TypeError):
        return None  # written by another version: counted again and replaced


def _write(what: str, value, now: datetime, seconds: int) -> None:
    if seconds <= 0:
        return
    text = json.dumps({"value": value, "at": now.isoformat()})
    try:
        # Whether a figure is fresh is counted() by `now` alone (a frozen or offset clock
        # too); Redis's expiry, on its own clock, only clears away what nobody asks for.
        _redis().set(KEY + what, text, ex=max(seconds * 10, 300))
    except (RedisError, OSError):
        pass  # the next page counts again
