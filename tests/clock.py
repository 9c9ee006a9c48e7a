"""The suite's clock switch: CLOCK_OFFSET_DAYS=400 make test moves every test's
"real now" that many days (ticking), so a test that mixes a fixed date with the
real clock fails today instead of on the day the calendar reaches it.

Started by tests/conftest.py before collection (module constants computed from
the clock move too) and by the worker processes the fault tests start; a test's
own freeze (the `frozen` fixture, time_machine.travel) still wins inside it.
"""
import os
from datetime import datetime, timedelta, timezone

import time_machine

_travel = None


def offset_days() -> int:
    return int(os.environ.get("CLOCK_OFFSET_DAYS") or 0)


def start_offset() -> None:
    global _travel
    if offset_days() and _travel is None:
        _travel = time_machine.travel(datetime.now(timezone.utc) + timedelta(days=offset_days()),
                                      tick=True)
        _travel.start()


def stop_offset() -> None:
    global _travel
    if _travel is not None:
        _travel.stop()
        _travel = None
