"""Keeping the rollups current as things happen, through the outbox.

A change marks the local days it touches: one outbox row per day and
transaction (community.outbox.emit, in the same transaction as the change).
Its job recomputes that day from the raw rows, so it can run late, twice or
out of order and the rollup still equals a recomputation. If Redis is down the
rows wait for the outbox relay; `flask stats rollup` rebuilds everything.
"""
from datetime import date, datetime

from sqlalchemy import select, update

from community.core.bulkdb import any_of
from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.outbox.services import register_handler, run_row
from community.tally.marks import (  # noqa: F401
    KIND,
    _key_prefix,
    clock_days,
    mark_days,
    mark_days_many,
)

from .rollup import rebuild_day

COVER_SLICE = 5000  # ids per UPDATE (SQLite allows 32,766 parameters in a statement)


def _recompute(payload: dict) -> None:
    from community.core.timeutil import utcnow

    day, now = date.fromisoformat(payload["day"]), utcnow()
    covered = _waiting_for(day)
    rebuild_day(day, now)
    # Their changes were committed before the rebuild read the day: done too. In slices,
    # as one array each: a backlog can hold tens of thousands of a day's rows.
    for start in range(0, len(covered), COVER_SLICE):
        db.session.execute(update(OutboxRow).where(any_of(OutboxRow.id, covered[start:start + COVER_SLICE]),
                                                   OutboxRow.done_at.is_(None))
                           .values(done_at=now, attempts=OutboxRow.attempts + 1, last_error="")
                           # the row being run is among them: run_row counts its own attempt
                           .execution_options(synchronize_session=False))


def _waiting_for(day: date) -> list[int]:
    """The day's other waiting rows, already committed. A rebuild reads every change
    committed before it starts, so one rebuild answers them all: a busy day costs one
    recomputation per burst of changes, not one per change. Rows another worker is
    running are skipped (SKIP LOCKED), so two workers never wait on each other here."""
    query = select(OutboxRow.id).where(
        OutboxRow.done_at.is_(None), OutboxRow.kind == KIND,
        OutboxRow.key.startswith(_key_prefix(day), autoescape=True))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


register_handler(KIND, _recompute)


def drain(now: datetime) -> int:
    """Run every waiting stats row here and now (tests, `flask stats refresh`)."""
    ids = list(db.session.scalars(select(OutboxRow.id).where(
        OutboxRow.kind == KIND, OutboxRow.done_at.is_(None)).order_by(OutboxRow.id)))
    return sum(1 for row_id in ids if run_row(row_id, now))


def _forget(session, *args):
    session.info.pop("stats_days", None)
    session.info.pop("stats_token", None)

