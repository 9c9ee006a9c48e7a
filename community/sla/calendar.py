"""Working days: the Chinese public-holiday calendar with its 调休 working weekends.

chinese-calendar knows the State Council's schedule for the years it was
released with; for other years a day is a working day when it is Monday to
Friday, unless an override (admin-entered) says otherwise.
"""
from datetime import date, datetime, time, timedelta

import chinese_calendar

from community.timeutil import local_zone

_overrides: dict[date, bool] = {}  # filled from the database by the SLA package
_loader = None  # community.sla.services.ensure_calendar, installed by wiring


def set_loader(loader) -> None:
    global _loader
    _loader = loader


def set_overrides(overrides: dict[date, bool]) -> None:
    _overrides.clear()
    _overrides.update(overrides)


def is_working_day(day: date) -> bool:
    if day in _overrides:
        return _overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not know yet
        return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (24:00 local time) of the `days`-th working day after `start`'s day.

    "Within 7 working days" of a Friday-evening filing before the Spring
    Festival ends at midnight after the 7th working day after the holiday.
    """
    if _loader is not None:
        _loader()
    zone = local_zone()
    day = start.astimezone(zone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(start.tzinfo)
