"""Rebuilding the daily rollups from raw rows (tickets, resolutions, ratings, cases).

A day is always recomputed whole from the raw rows and its rows replaced, so
running it again, late, or twice gives the same table (idempotent, catch-up safe).
"""
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, select, text

from community.core.extensions import db
from community.ratings.models import Resolution
from community.tally.marks import local_day  # noqa: F401  (used here and by stats' readers)
from community.tally.models import Arrival
from community.tickets.models import Ticket
from community.core.timeutil import local_zone, utcnow
from community.workqueue.models import AssistTask

from . import counting
from .models import StatCategoryDaily, StatDaily, StatWorkerDaily

TABLES = (StatDaily, StatCategoryDaily, StatWorkerDaily)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = local_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def compute_day(day: date, now: datetime | None = None) -> counting.Tally:
    """Counts per unit, per (street/county, category) and per worker for one local day,
    with the clocks that had ended by `now` (a clock still running is not yet due)."""
    start, end = day_bounds(day)
    now = now or utcnow()
    tally = counting.Tally()
    counting.filings(tally, start, end)
    counting.responses(tally, start, end, now)
    counting.acceptances(tally, start, end, now)
    counting.resolutions(tally, start, end)
    counting.assist_tasks(tally, start, end, now)
    return tally


def _lock_day(day: date) -> None:
    """Two workers rebuilding one day take turns (SQLite serialises writers anyway).
    Advisory locks are the whole database's: the key names the schema too, so two
    installations in one database (or two test runs) never wait on each other's days."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :k)"),
                           {"k": day.toordinal()})


def rebuild_day(day: date, now: datetime) -> int:
    """Replace the day's rollup rows with a fresh computation; returns the unit rows written."""
    _lock_day(day)
    tally = compute_day(day, now)
    for model in TABLES:
        db.session.execute(delete(model).where(model.day == day))
    if tally.units:
        db.session.execute(StatDaily.__table__.insert(), [
            {"day": day, "unit_id": unit_id, "unit_kind": tally.kinds[unit_id], "updated_at": now, **c}
            for unit_id, c in tally.units.items()])
    if tally.categories:
        db.session.execute(StatCategoryDaily.__table__.insert(), [
            {"day": day, "unit_id": unit_id, "category_id": category_id, "updated_at": now, **c}
            for (unit_id, category_id), c in tally.categories.items()])
    if tally.workers:
        db.session.execute(StatWorkerDaily.__table__.insert(), [
            {"day": day, "unit_id": unit_id, "user_id": user_id, "updated_at": now, **c}
            for (unit_id, user_id), c in tally.workers.items()])
    return len(tally.units)


# Where a day's counts can come from: filings, resolutions, the clocks' ends, assist tasks.
LAST_MOMENTS = (Ticket.submitted_at, Resolution.resolved_at, Ticket.first_response_at,
                Ticket.response_due_at, Ticket.accepted_at, Ticket.accept_due_at, Arrival.settles_at,
                AssistTask.report_due_at, AssistTask.due_at, AssistTask.done_at, AssistTask.scored_at)


def activity_days(now: datetime | None = None) -> list[date]:
    """Every local day from the first filing to the last moment anything counts on
    (a deadline still to come counts later: not past `now`'s day)."""
    first = [db.session.scalar(select(func.min(Ticket.submitted_at))),
             db.session.scalar(select(func.min(Resolution.resolved_at)))]
    last = [db.session.scalar(select(func.max(column))) for column in LAST_MOMENTS]
    first, last = [d for d in first if d], [d for d in last if d]
    if not first:
        return []
    day, end = local_day(min(first)), local_day(max(last))
    if now is not None:
        end = min(end, local_day(now))
    days = []
    while day <= end:
        days.append(day)
        day += timedelta(days=1)
    return days


def rebuild_all(now: datetime, commit_every: int = 30, on_day=None) -> int:
    """Drop every rollup row and rebuild all days; commits in batches of days.
    `on_day(number, of)` is called after each day (the command's progress)."""
    for model in TABLES:
        db.session.execute(delete(model))
    days = activity_days(now)
    for number, day in enumerate(days, start=1):
        rebuild_day(day, now)
        if number % commit_every == 0:
            db.session.commit()
        if on_day:
            on_day(number, len(days))
    return len(days)
