"""Rebuilding the daily rollups from raw rows (tickets, resolutions, ratings, cases).

A day is always recomputed whole from the raw rows and its rows replaced, so
running it again, late, or twice gives the same table (idempotent, catch-up safe).
"""
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import aliased

from community.areas.models import Unit, UnitKind
from community.extensions import db
from community.ratings.models import BAD_LEVELS, RectificationCase, Rating, Resolution
from community.tickets.models import Ticket, TicketEvent
from community.tickets.states import State
from community.timeutil import local_zone

from .models import COUNTS, StatCategoryDaily, StatDaily

LOCATION_KINDS = ("grid", "community", "street", "county")
CATEGORY_KINDS = ("street", "county")  # worst categories are shown to these


def local_day(moment: datetime, zone=None) -> date:
    """The city's calendar day of `moment`; pass `zone` when calling it in a loop."""
    return moment.astimezone(zone or local_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = local_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def ticket_counts(t, returned: bool) -> dict:
    """What one request filed that day adds to its units' counts."""
    unresponded_cancel = t.state == State.CANCELLED and t.first_response_at is None
    never_accepted = t.accepted_at is None and t.state in (State.CANCELLED, State.MERGED)
    return {
        "filed": 1,
        "response_due": 0 if unresponded_cancel else 1,
        "responded_in_time": int(t.first_response_at is not None and t.response_due_at is not None
                                 and t.first_response_at <= t.response_due_at),
        "arrived": 0 if never_accepted else 1,
        "accepted_in_time": int(t.accepted_at is not None and t.accept_due_at is not None
                                and t.accepted_at <= t.accept_due_at),
        "returned": int(returned),
    }


def resolution_counts(r, rating, case) -> dict:
    """What one resolution (with its rating and 整改 case, if any) adds."""
    c = {"resolved": 1, "resolved_in_time": int(bool(r.in_time)),
         "reopened": int(r.reopened_at is not None)}
    if rating is None:
        return c
    c["rated"] = 1
    if rating.excluded:
        c["appeals_upheld"] = 1
        return c
    c[rating.level] = 1
    c[f"solved_{rating.solved}"] = 1
    if rating.level in BAD_LEVELS and case is not None and case.closed_at is not None \
            and case.closed_at <= case.close_due_at:
        c["bad_rectified_in_time"] = 1
    return c


# Rows fetched at a time: a busy city day (Beijing: 450,000 requests) streams through a
# server-side cursor instead of sitting in the worker's memory at once.
STREAM = 2000


def compute_day(day: date):
    """Counts per unit and per (street/county, category) for one local day."""
    start, end = day_bounds(day)
    per_unit = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    per_category = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    kinds = {}

    def add(target, key, counts):
        row = target[key]
        for name, value in counts.items():
            row[name] += value

    def spread(holder, counts, extra_unit=None):
        for kind in LOCATION_KINDS:
            unit_id = getattr(holder, f"{kind}_id")
            kinds[unit_id] = kind
            add(per_unit, unit_id, counts)
            if kind in CATEGORY_KINDS:
                add(per_category, (unit_id, holder.category_id), counts)
        if extra_unit is not None:
            kinds[extra_unit] = UnitKind.DEPARTMENT
            add(per_unit, extra_unit, counts)

    returned = set(db.session.scalars(
        select(TicketEvent.ticket_id).join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.action == "return", Ticket.submitted_at >= start,
               Ticket.submitted_at < end)))
    tickets = db.session.execute(select(
        Ticket.id, Ticket.state, Ticket.category_id, Ticket.grid_id, Ticket.community_id,
        Ticket.street_id, Ticket.county_id, Ticket.first_response_at, Ticket.response_due_at,
        Ticket.accepted_at, Ticket.accept_due_at,
    ).where(Ticket.submitted_at >= start, Ticket.submitted_at < end)
        .execution_options(yield_per=STREAM))
    for t in tickets:
        spread(t, ticket_counts(t, t.id in returned))

    department = aliased(Unit)
    rows = db.session.execute(
        select(Resolution, Rating, RectificationCase, department.kind)
        .outerjoin(Rating, Rating.resolution_id == Resolution.id)
        .outerjoin(RectificationCase, RectificationCase.rating_id == Rating.id)
        .join(department, department.id == Resolution.unit_id)
        .where(Resolution.resolved_at >= start, Resolution.resolved_at < end)
        .execution_options(yield_per=STREAM))
    for r, rating, case, unit_kind in rows:
        spread(r, resolution_counts(r, rating, case),
               extra_unit=r.unit_id if unit_kind == UnitKind.DEPARTMENT else None)
    return per_unit, kinds, per_category


def _lock_day(day: date) -> None:
    """Two workers rebuilding one day take turns (SQLite serialises writers anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                           {"k": 604_000_000 + day.toordinal()})


def rebuild_day(day: date, now: datetime) -> int:
    """Replace the day's rollup rows with a fresh computation; returns the rows written."""
    _lock_day(day)
    per_unit, kinds, per_category = compute_day(day)
    db.session.execute(delete(StatDaily).where(StatDaily.day == day))
    db.session.execute(delete(StatCategoryDaily).where(StatCategoryDaily.day == day))
    if per_unit:
        db.session.execute(StatDaily.__table__.insert(), [
            {"day": day, "unit_id": unit_id, "unit_kind": kinds[unit_id], "updated_at": now, **c}
            for unit_id, c in per_unit.items()])
    if per_category:
        db.session.execute(StatCategoryDaily.__table__.insert(), [
            {"day": day, "unit_id": unit_id, "category_id": category_id, "updated_at": now, **c}
            for (unit_id, category_id), c in per_category.items()])
    return len(per_unit)


def activity_days() -> list[date]:
    """Every local day with a filing or a resolution."""
    first = [db.session.scalar(select(func.min(Ticket.submitted_at))),
             db.session.scalar(select(func.min(Resolution.resolved_at)))]
    last = [db.session.scalar(select(func.max(Ticket.submitted_at))),
            db.session.scalar(select(func.max(Resolution.resolved_at)))]
    first, last = [d for d in first if d], [d for d in last if d]
    if not first:
        return []
    day, end = local_day(min(first)), local_day(max(last))
    days = []
    while day <= end:
        days.append(day)
        day += timedelta(days=1)
    return days


def rebuild_all(now: datetime, commit_every: int = 30) -> int:
    """Drop every rollup row and rebuild all days; commits in batches of days."""
    db.session.execute(delete(StatDaily))
    db.session.execute(delete(StatCategoryDaily))
    days = activity_days()
    for number, day in enumerate(days, start=1):
        rebuild_day(day, now)
        if number % commit_every == 0:
            db.session.commit()
    return len(days)
