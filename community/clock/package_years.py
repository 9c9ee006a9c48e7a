"""The years chinese-calendar knows, as plain schedules (no database, no app).

Used by migration 0015 to seed the calendar tables and by the calendar service for
years a newer release of the package learns later; both read the package the same way.
"""
from datetime import date

import chinese_calendar

NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
         "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节",
         "National Day": "国庆节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}
TITLE = "chinese-calendar {version}"


def known_years() -> list[int]:
    return sorted({day.year for day in chinese_calendar.holidays})


def version() -> str:
    return getattr(chinese_calendar, "__version__", "")


def days_of(year: int) -> list[tuple[date, bool, str]]:
    """(day, working, holiday name) for every day the package sets apart in `year`."""
    out = [(day, False, NAMES.get(str(name), str(name)))
           for day, name in chinese_calendar.holidays.items() if day.year == year]
    out += [(day, True, NAMES.get(str(name), str(name)))
            for day, name in chinese_calendar.workdays.items() if day.year == year]
    return sorted(out)


def package_calendar():
    """A WorkCalendar of the package's own years (no overrides), built once."""
    global _PACKAGE
    if _PACKAGE is None:
        from .calendar import WorkCalendar

        years = known_years()
        _PACKAGE = WorkCalendar(
            exceptions={day: working for year in years for day, working, _name in days_of(year)},
            covered=frozenset(years))
    return _PACKAGE


_PACKAGE = None
