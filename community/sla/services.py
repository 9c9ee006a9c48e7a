"""SLA policies and working-day overrides: lookups for the clocks, changes by the admin."""
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from flask_babel import gettext as _
from redis.exceptions import RedisError
from sqlalchemy import select

from community.auth.models import Role, User
from community.core import versions
from community.core.errors import NotAllowed, ValidationFailed
from community.core.extensions import db
from community.tickets.models import Category
from community.core.timeutil import local_zone

from .models import RESOLVE_UNITS, SLA_CLASSES, CalendarOverride, SlaPolicy

# DOMAIN.md "Clocks" defaults: the seed rows of migration 0005, and the answer
# when a database has no row for a class (a policy table emptied by hand).
DEFAULT_SLA = {
    "urgent": {"response_hours": 24, "accept_hours": 1, "resolve": ("hours", 24)},
    "utilities": {"response_hours": 24, "accept_hours": 2, "resolve": ("working_days", 7)},
    "general": {"response_hours": 24, "accept_hours": 24, "resolve": ("working_days", 7)},
    "complex": {"response_hours": 24, "accept_hours": 24, "resolve": ("working_days", 15)},
}


@dataclass(frozen=True)
class Terms:
    response_hours: int
    accept_hours: int
    resolve_unit: str
    resolve_amount: int
    policy_id: int | None = None


def _default_terms(sla_class: str) -> Terms:
    seed = DEFAULT_SLA.get(sla_class, DEFAULT_SLA["general"])
    return Terms(seed["response_hours"], seed["accept_hours"], *seed["resolve"])


@dataclass(frozen=True)
class _Row:
    id: int
    sla_class: str
    category_id: int | None
    effective_from: datetime
    response_hours: int
    accept_hours: int
    resolve_unit: str
    resolve_amount: int


def _policies() -> list[_Row]:
    """All policy rows as plain values, newest first (see _cached)."""
    return _cached("sla_policies", _read_policies)


def _read_policies() -> list[_Row]:
    return [_Row(*row) for row in db.session.execute(select(
        SlaPolicy.id, SlaPolicy.sla_class, SlaPolicy.category_id, SlaPolicy.effective_from,
        SlaPolicy.response_hours, SlaPolicy.accept_hours, SlaPolicy.resolve_unit,
        SlaPolicy.resolve_amount).order_by(SlaPolicy.effective_from.desc(), SlaPolicy.id.desc()))]


# The process's copies of the policy table and of the working-day calendar. A change
# bumps VERSION_KEY in Redis after its commit (_announce); every process compares the
# version before using its copy. Without Redis nothing is cached across sessions;
# CACHE_SECONDS bounds a missed bump.
VERSION_KEY = versions.register("community:sla:policies:version")
CACHE_SECONDS = 60


def _cached(name: str, read):
    """`read()`'s value, kept for the life of this session (plain values, so a commit
    does not expire them), and across sessions in this process while the version in
    Redis is unchanged."""
    info = db.session.info
    if name not in info:
        info[name] = _shared(name, read)
    return info[name]


def _shared(name: str, read):
    version = None if versions.changing(db.session, VERSION_KEY) else _version()
    caches = current_app.extensions.setdefault("sla_cache", {})
    cache = caches.get(name) or {}
    if version is not None and cache.get("version") == version and clock.monotonic() < cache["until"]:
        return cache["value"]
    with db.session.no_autoflush:
        value = read()
    if version is not None:  # read before the rows: a change committed in between shows next time
        caches[name] = {  # one assignment: threads see all or nothing
            "version": version, "value": value, "until": clock.monotonic() + CACHE_SECONDS}
    return value


def _version() -> bytes | None:
    try:
        return versions.started(VERSION_KEY)  # read with the other copies' tokens
    except (RedisError, OSError):
        return None


CACHED = ("sla_policies", "work_calendar")


def forget_cache() -> None:
    for name in CACHED:
        db.session.info.pop(name, None)
    versions.change(db.session, VERSION_KEY)  # not cached until committed; then announced
    current_app.extensions.pop("sla_cache", None)


def _forget_change(session, previous_transaction) -> None:
    if getattr(previous_transaction, "nested", False):
        return  # a savepoint: the change may still commit with the outer transaction
    if versions.changing(session, VERSION_KEY):  # rolled back: so is the session's copy
        for name in CACHED:
            session.info.pop(name, None)


# Listened for on every Session: community.wiring.SESSION_LISTENERS.


def terms_for(sla_class: str, category_id: int | None, at: datetime) -> Terms:
    """The policy in force at `at`: the category's own row first, then its class's."""
    rows = [p for p in _policies() if p.sla_class == sla_class and p.effective_from <= at]
    chosen = next((p for p in rows if p.category_id == category_id), None) \
        or next((p for p in rows if p.category_id is None), None)
    if chosen is None:
        return _default_terms(sla_class)
    return Terms(chosen.response_hours, chosen.accept_hours, chosen.resolve_unit,
                 chosen.resolve_amount, chosen.id)


def _require_admin(actor: User | None) -> None:
    if actor is None or actor.role != Role.ADMIN:
        raise NotAllowed()


def list_policies() -> list[SlaPolicy]:
    return list(db.session.scalars(select(SlaPolicy).order_by(
        SlaPolicy.sla_class, SlaPolicy.category_id.is_not(None), SlaPolicy.category_id,
        SlaPolicy.effective_from.desc())))


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def add_policy(actor: User, now: datetime, *, sla_class: str, effective_from: date,
               response_hours: int, accept_hours: int, resolve_unit: str, resolve_amount: int,
               category_code: str = "", note: str = "") -> SlaPolicy:
    """A new version of a class's (or a category's) clocks, in force from the start
    of `effective_from` (local time). It may not start in the past: deadlines
    already set, and the figures counted from them, stay as they were."""
    _require_admin(actor)
    if sla_class not in SLA_CLASSES:
        raise ValidationFailed(_("请选择时限类别。"), field="sla_class")
    if resolve_unit not in RESOLVE_UNITS:
        raise ValidationFailed(_("请选择办结时限的单位。"), field="resolve_unit")
    for name, value in (("response_hours", response_hours), ("accept_hours", accept_hours),
                        ("resolve_amount", resolve_amount)):
        if not isinstance(value, int) or not 1 <= value <= 720:
            raise ValidationFailed(_("时限应为 1 到 720 之间的整数。"), field=name)
    start = local_midnight(effective_from)
    if effective_from < now.astimezone(local_zone()).date():
        raise ValidationFailed(_("生效日期不能早于今天。"), field="effective_from")
    category = None
    if category_code:
        category = db.session.scalar(select(Category).where(Category.code == category_code))
        if category is None:
            raise ValidationFailed(_("请选择有效的诉求类别。"), field="category")
    clash = db.session.scalar(select(SlaPolicy).where(
        SlaPolicy.sla_class == sla_class, SlaPolicy.effective_from == start,
        SlaPolicy.category_id.is_(None) if category is None else SlaPolicy.category_id == category.id))
    if clash is not None:
        raise ValidationFailed(_("同一类别在这一天已有生效的时限，请换一个日期。"), field="effective_from")
    policy = SlaPolicy(sla_class=sla_class, category=category, effective_from=start,
                       response_hours=response_hours, accept_hours=accept_hours,
                       resolve_unit=resolve_unit, resolve_amount=resolve_amount,
                       note=(note or "").strip()[:200], created_at=now, created_by=actor)
    db.session.add(policy)
    db.session.flush()
    forget_cache()
    return policy


def list_overrides() -> list[CalendarOverride]:
    return list(db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)))


def set_override(actor: User, now: datetime, day: date, working: bool, note: str = "") -> CalendarOverride:
    """Declare `day` a working day or a holiday (for a year chinese-calendar does not know,
    or a local change). Deadlines already set keep their dates."""
    _require_admin(actor)
    if not isinstance(day, date):
        raise ValidationFailed(_("请填写日期。"), field="day")
    row = db.session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is None:
        row = CalendarOverride(day=day, created_at=now, created_by=actor)
        db.session.add(row)
    row.working = bool(working)
    row.note = (note or "").strip()[:200]
    db.session.flush()
    forget_cache()
    return row


def remove_override(actor: User, day: date) -> None:
    _require_admin(actor)
    row = db.session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if row is not None:
        db.session.delete(row)
        db.session.flush()
    forget_cache()
