"""UTC in storage, the city's zone (Asia/Shanghai by default) on screen."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def local_zone() -> ZoneInfo:
    name = "Asia/Shanghai"
    if has_app_context():
        name = current_app.config["COMMUNITY_TIMEZONE"]
    return ZoneInfo(name)


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(local_zone())


def as_utc(value: datetime) -> datetime:
    """Naive datetimes given on the command line are read as local business time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(timezone.utc)
