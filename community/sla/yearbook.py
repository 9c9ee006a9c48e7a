"""The working-day calendar as data: years loaded, their days, what is missing.

A year is loaded from chinese-calendar (the years the package knows), from the
State Council's notice or a file of dates (community.sla.notice), or edited by
hand (the admin's overrides, which lie on top of every year). Loading or editing
recomputes every open deadline that depends on the changed year
(community.sla.recompute), in the same transaction.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from community.auth.models import Role, User
from community.clock import package_years
from community.clock.calendar import WorkCalendar, missing_years
from community.core.errors import NotAllowed
from community.core.extensions import db
from community.core.timeutil import local_zone

from .models import CalendarDay, CalendarOverride, CalendarYear
from .notice import Schedule
from .services import _cached, forget_cache


def current_calendar() -> WorkCalendar:
    """The calendar in force: loaded years and the admin's overrides (cached like the
    SLA policies, reloaded in every process after a change)."""
    return _cached("work_calendar", _read_calendar)


def _read_calendar() -> WorkCalendar:
    covered = frozenset(db.session.scalars(select(CalendarYear.year)))
    exceptions = {}
    # A year's own schedule wins for its own days over a notice reaching across new year.
    for year, day, working in db.session.execute(
            select(CalendarDay.year, CalendarDay.day, CalendarDay.working)):
        if day not in exceptions or year == day.year:
            exceptions[day] = working
    overrides = dict(db.session.execute(select(CalendarOverride.day, CalendarOverride.working)).all())
    return WorkCalendar(exceptions=exceptions, covered=covered, overrides=overrides)


def _require_admin(actor: User | None) -> None:
    if actor is None or actor.role != Role.ADMIN:
        raise NotAllowed()


@dataclass
class Loaded:
    year: int
    replaced: bool  # the year had a schedule before
    recomputed: Counter


def load_schedule(schedule: Schedule, actor: User | None, now: datetime, *, source: str = "import",
                  text: str = "") -> Loaded:
    """Make `schedule` the year's calendar (replacing what it had) and recompute the
    open deadlines that count its days. `actor` None: the system (the package's years)."""
    if actor is not None:
        _require_admin(actor)
    from .recompute import recompute_deadlines

    # Whatever days the year had go (SQLite leaves a foreign key's cascade to the application).
    db.session.execute(delete(CalendarDay).where(CalendarDay.year == schedule.year))
    row = db.session.get(CalendarYear, schedule.year)
    replaced = row is not None
    if row is None:
        row = CalendarYear(year=schedule.year)
    else:
        db.session.expire(row, ["days"])  # the deleted days may be loaded in this session
    row.source, row.title, row.text = source, (schedule.title or "")[:200], text or ""
    row.loaded_at, row.loaded_by = now, actor
    db.session.add(row)
    db.session.flush()
    db.session.add_all(
        [CalendarDay(year=schedule.year, day=day, working=False, name=name[:40])
         for day, name in schedule.holidays.items()]
        + [CalendarDay(year=schedule.year, day=day, working=True, name=name[:40])
           for day, name in schedule.working.items()])
    db.session.flush()
    forget_cache()
    days = list(schedule.holidays) + list(schedule.working)
    span = (min(days + [date(schedule.year, 1, 1)]), max(days + [date(schedule.year, 12, 31)]))
    return Loaded(schedule.year, replaced, recompute_deadlines(span, actor, now))


def seed_from_package(now: datetime) -> list[int]:
    """Load the years chinese-calendar knows that nobody has loaded yet (a newer
    release of the package may know a year the database lacks). Never replaces a
    year loaded otherwise."""
    have = set(db.session.scalars(select(CalendarYear.year)))
    added = []
    for year in package_years.known_years():
        if year in have:
            continue
        schedule = Schedule(year=year, title=package_years.TITLE.format(version=package_years.version()))
        for day, working, name in package_years.days_of(year):
            (schedule.working if working else schedule.holidays)[day] = name
        load_schedule(schedule, None, now, source="chinese-calendar")
        added.append(year)
    return added


def on_override_changed(day: date, actor: User, now: datetime) -> Counter:
    """An override edited by hand: the deadlines that count that day are recomputed."""
    from .recompute import recompute_deadlines

    forget_cache()
    return recompute_deadlines((day, day), actor, now)


@dataclass
class YearStatus:
    year: int
    source: str
    title: str
    loaded_at: datetime | None
    loaded_by: str
    holidays: int
    working_days: int


def years() -> list[YearStatus]:
    counts = Counter()
    for year, working in db.session.execute(select(CalendarDay.year, CalendarDay.working)):
        counts[year, working] += 1
    rows = db.session.scalars(select(CalendarYear).order_by(CalendarYear.year))
    return [YearStatus(r.year, r.source, r.title, r.loaded_at,
                       r.loaded_by.username if r.loaded_by else "", counts[r.year, False],
                       counts[r.year, True]) for r in rows]


def warn_days() -> int:
    return int(current_app.config.get("COMMUNITY_CALENDAR_WARN_DAYS", 60))


def missing(now: datetime) -> list[int]:
    """Years the admins must load now (this year, or the next within the warning period)."""
    return missing_years(current_calendar(), now.astimezone(local_zone()).date(), warn_days())


NOTICE_MARK = "【节假日安排】"


def notice_text(years_missing: list[int]) -> str:
    return NOTICE_MARK + _(
        "%(years)s 年的节假日安排还没有导入：落在这些年份的办结期限暂按周一至周五计算，"
        "标为“暂定”。请在“工作日与节假日”页面粘贴国务院办公厅的通知并导入。",
        years="、".join(str(y) for y in years_missing))


def check_calendar(now: datetime) -> dict:
    """The daily check: the package's new years are loaded; for a missing year each
    active admin gets one in-app notice a day, from COMMUNITY_CALENDAR_WARN_DAYS
    before it starts. Idempotent within a local day."""
    from flask_babel import force_locale

    from community.workqueue.models import Notification

    seeded = seed_from_package(now)
    years_missing = missing(now)
    told = 0
    if years_missing:
        zone = local_zone()
        midnight = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
        already = set(db.session.scalars(select(Notification.user_id).where(
            Notification.ticket_id.is_(None), Notification.created_at >= midnight,
            Notification.created_at < midnight + timedelta(days=1),
            Notification.text.startswith(NOTICE_MARK))))
        for admin in db.session.scalars(select(User).where(User.role == Role.ADMIN,
                                                           User.active.is_(True))):
            if admin.id in already:
                continue
            with force_locale(admin.locale or "zh"):
                text = notice_text(years_missing)
            db.session.add(Notification(user_id=admin.id, phone="", text=text, created_at=now))
            told += 1
    return {"seeded": seeded, "missing": years_missing, "told": told}
