"""Working days: the Chinese public-holiday calendar with its 调休 working weekends.

The calendar is data, year by year (community.sla.yearbook keeps it in the
database): each loaded year says which days are holidays and which weekend days
are worked, and the admin's overrides lie on top. A year nobody has loaded is
never guessed silently: its days count Monday to Friday, and a deadline that
counts any of them is *provisional* (shown as such, recomputed when the year is
loaded).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from community.core.timeutil import local_zone


@dataclass(frozen=True)
class WorkCalendar:
    exceptions: dict[date, bool] = field(default_factory=dict)  # loaded years: day → working
    covered: frozenset[int] = frozenset()  # years with a loaded schedule
    overrides: dict[date, bool] = field(default_factory=dict)  # the admin's, on top

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def knows(self, day: date) -> bool:
        return day.year in self.covered


@dataclass(frozen=True)
class Deadline:
    at: datetime
    provisional: bool  # counts a day of a year with no schedule loaded


_loader = None  # the database's calendar (community.sla.wiring), installed at start


def set_loader(loader) -> None:
    global _loader
    _loader = loader


def current() -> WorkCalendar:
    if _loader is not None:
        calendar = _loader()
        if calendar is not None:
            return calendar
    from .package_years import package_calendar

    return package_calendar()  # outside an app (the bench's generator): the package's years


def is_working_day(day: date) -> bool:
    return current().is_working_day(day)


def working_deadline(start: datetime, days: int, calendar: WorkCalendar | None = None) -> Deadline:
    """The end (24:00 local time) of the `days`-th working day after `start`'s day.

    "Within 7 working days" of a Friday-evening filing before the Spring
    Festival ends at midnight after the 7th working day after the holiday.
    """
    calendar = calendar or current()
    zone = local_zone()
    day = start.astimezone(zone).date()
    counted, provisional = 0, False
    while counted < days:
        day += timedelta(days=1)
        provisional = provisional or not calendar.knows(day)
        if calendar.is_working_day(day):
            counted += 1
    at = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(start.tzinfo)
    return Deadline(at, provisional)


def add_working_days(start: datetime, days: int) -> datetime:
    return working_deadline(start, days).at


def missing_years(calendar: WorkCalendar, today: date, warn_days: int) -> list[int]:
    """This year and the next when nobody has loaded them and they start within
    `warn_days` (or have started): what the admins are told about every day."""
    return [year for year in (today.year, today.year + 1)
            if year not in calendar.covered and today >= date(year, 1, 1) - timedelta(days=warn_days)]
