"""Keeping the rollups current as things happen, through the outbox.

A change marks the local days it touches: one outbox row per day and
transaction (community.outbox.emit, in the same transaction as the change).
Its job recomputes that day from the raw rows, so it can run late, twice or
out of order and the rollup still equals a recomputation. If Redis is down the
rows wait for the outbox relay; `flask stats rollup` rebuilds everything.
"""
import secrets
from datetime import date, datetime

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from community.bulkdb import any_of
from community.extensions import db
from community.outbox.models import OutboxRow
from community.outbox.services import emit_fresh, register_handler, run_row
from community.timeutil import local_zone

from .rollup import local_day, rebuild_day

KIND = "stats.day"
COVER_SLICE = 5000  # ids per UPDATE (SQLite allows 32,766 parameters in a statement)


def clock_days(ticket, at: datetime) -> list:
    """The deadlines of the response and acceptance clocks still unmet at `at` that have
    come: a clock that ended unmet counts on its deadline's day, which a step taken later
    (a late 签收, an escalation the sweep recorded late) must recompute too."""
    unmet = ((ticket.response_due_at, ticket.first_response_at),
             (ticket.accept_due_at, ticket.accepted_at))
    return [due for due, met in unmet
            if due is not None and due <= at and (met is None or met >= at)]


def mark_days(moments, now: datetime) -> None:
    """Ask for the local days of these moments (datetimes or None) to be recomputed."""
    info = db.session.info
    seen = info.setdefault("stats_days", set())
    token = info.setdefault("stats_token", secrets.token_hex(8))
    for moment in moments:
        if moment is None:
            continue
        day = local_day(moment)
        if day not in seen:
            seen.add(day)
            # The token keeps each transaction's request apart: a later change
            # to the same day needs its own run, not the earlier (done) row.
            emit_fresh(KIND, _key_prefix(day) + token, {"day": day.isoformat()}, now=now)


def _key_prefix(day: date) -> str:
    return f"stats:{day.isoformat()}:"


def mark_days_many(pairs) -> None:
    """mark_days for many changes at once: `pairs` of (moments, now), in order."""
    seen = db.session.info.get("stats_days", set())
    zone = local_zone()  # once, not once per moment (the sweep passes thousands)
    for moments, now in pairs:
        days = {local_day(m, zone) for m in moments if m is not None}
        if not days <= seen:
            mark_days(moments, now)
            seen = db.session.info["stats_days"]


def _recompute(payload: dict) -> None:
    from community.timeutil import utcnow

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


def install():
    for name in ("after_commit", "after_soft_rollback"):
        if not event.contains(Session, name, _forget):
            event.listen(Session, name, _forget)
