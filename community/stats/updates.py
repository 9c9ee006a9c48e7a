"""Keeping the rollups current as things happen, through the outbox.

A change marks the local days it touches: one outbox row per day and
transaction (community.outbox.emit, in the same transaction as the change).
Its job recomputes that day from the raw rows, so it can run late, twice or
out of order and the rollup still equals a recomputation. If Redis is down the
rows wait for the outbox relay; `flask stats rollup` rebuilds everything.
"""
import secrets
from datetime import date, datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from community.extensions import db
from community.outbox.services import emit_fresh, register_handler, run_row

from .rollup import local_day, rebuild_day

KIND = "stats.day"


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
            emit_fresh(KIND, f"stats:{day.isoformat()}:{token}", {"day": day.isoformat()}, now=now)


def mark_days_many(pairs) -> None:
    """mark_days for many changes at once: `pairs` of (moments, now), in order."""
    seen = db.session.info.get("stats_days", set())
    for moments, now in pairs:
        days = {local_day(m) for m in moments if m is not None}
        if not days <= seen:
            mark_days(moments, now)
            seen = db.session.info["stats_days"]


def _recompute(payload: dict) -> None:
    from community.timeutil import utcnow

    rebuild_day(date.fromisoformat(payload["day"]), utcnow())


register_handler(KIND, _recompute)


def drain(now: datetime) -> int:
    """Run every waiting stats row here and now (tests, `flask stats refresh`)."""
    from community.outbox.models import OutboxRow

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
