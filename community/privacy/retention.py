"""Retention (DOMAIN.md "Privacy"): the personal data of requests closed more than
COMMUNITY_RETENTION_YEARS (3) ago is anonymised; counts and figures stay.

Run daily by `rq cron` (workers/cron.py) and by hand with
`flask --app wsgi privacy retention [--dry-run] [--now …]`. It walks the partial
index of closed requests not yet anonymised (0018), oldest first, in batches of
COMMUNITY_RETENTION_BATCH, each committed on its own: a batch's row locks last
milliseconds, never the whole run. A second run finds nothing to do.

Messages (notifications: the texts and in-app messages, with their phone numbers) are
kept as long, counted from when they were written, then deleted: no figure reads them.
On PostgreSQL the table is partitioned by month (0030), and a month that ended before
the cutoff goes whole (detached and dropped: no row by row delete, no bloat); what is
left before the cutoff (the cutoff's own month, the DEFAULT partition, or SQLite's
plain table) is deleted in batches.
"""
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import OperationalError

from community.core import partitions
from community.core.extensions import db
from community.tickets.models import Ticket
from community.workqueue.models import Notification

from .anonymise import anonymise_tickets, remove_photo_files
from .models import RETENTION, PrivacyAudit


@dataclass
class RetentionRun:
    cutoff: datetime
    due: int = 0                 # closed before the cutoff, not anonymised yet (before the run)
    anonymised: int = 0
    batches: int = 0
    seconds: float = 0.0
    batch_seconds: list = field(default_factory=list)  # each batch: its transaction, locks held
    months_dropped: list = field(default_factory=list)   # messages' partitions dropped whole
    messages_deleted: int = 0                            # messages deleted row by row

    @property
    def longest_batch(self) -> float:
        return max(self.batch_seconds, default=0.0)

    @property
    def rows_per_second(self) -> float:
        return self.anonymised / self.seconds if self.seconds else 0.0


def cutoff_for(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _pending(cutoff: datetime):
    return (Ticket.anonymised_at.is_(None), Ticket.closed_at.is_not(None), Ticket.closed_at < cutoff)


def run_retention(now: datetime, *, dry_run: bool = False, years: int | None = None,
                  batch: int | None = None, max_batches: int | None = None,
                  on_batch=None) -> RetentionRun:
    """Anonymise what is due at `now`. Commits each batch itself (call in an app context).
    `on_batch(rows, due)` is called after each batch (the command's progress)."""
    config = current_app.config
    years = config["COMMUNITY_RETENTION_YEARS"] if years is None else years
    batch = batch or config["COMMUNITY_RETENTION_BATCH"]
    run = RetentionRun(cutoff=cutoff_for(now, years))
    run.due = db.session.scalar(select(func.count(Ticket.id)).where(*_pending(run.cutoff)))
    db.session.commit()
    if dry_run:
        return run
    started = time.monotonic()
    while max_batches is None or run.batches < max_batches:
        query = select(Ticket.id).where(*_pending(run.cutoff)).order_by(Ticket.closed_at).limit(batch)
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # a second run beside it takes other rows
        began = time.monotonic()
        ids = list(db.session.scalars(query))
        if not ids:
            db.session.commit()
            break
        done, photos = anonymise_tickets(ids, now)
        db.session.commit()
        run.batch_seconds.append(time.monotonic() - began)
        remove_photo_files(photos)
        run.anonymised += done
        run.batches += 1
        if on_batch:
            on_batch(done, run.due)
    if max_batches is None:
        expire_messages(run, batch)
    run.seconds = time.monotonic() - started
    db.session.add(PrivacyAudit(at=now, action=RETENTION, rows=run.anonymised, note=(
        f"closed before {run.cutoff:%Y-%m-%d %H:%M} UTC; {run.batches} batches of up to {batch}; "
        f"{run.seconds:.1f} s, longest batch {run.longest_batch * 1000:.0f} ms; messages before the "
        f"cutoff: {len(run.months_dropped)} months dropped, {run.messages_deleted} deleted")))
    db.session.commit()
    return run


def expire_messages(run: RetentionRun, batch: int) -> None:
    """Messages written before the cutoff: whole months dropped where the table is
    partitioned, the rest deleted in batches (each committed on its own)."""
    connection = db.session.connection()
    # Dropping a partition takes the table's lock for a moment: wait for it briefly, or
    # leave the old months whole to tomorrow's run rather than delete them row by row.
    if partitions.is_partitioned(connection, Notification.__tablename__):
        connection.execute(text("SET LOCAL lock_timeout = '5s'"))
        try:
            run.months_dropped = partitions.drop_months_before(connection, Notification.__tablename__, run.cutoff)
            db.session.commit()
        except OperationalError:  # lock_timeout: busy; tomorrow's run drops it
            db.session.rollback()
            run.months_dropped = []
            return
    table = Notification.__table__
    while True:
        ids = select(table.c.id).where(table.c.created_at < run.cutoff).limit(batch).scalar_subquery()
        gone = db.session.execute(delete(table).where(table.c.id.in_(ids),
                                                      table.c.created_at < run.cutoff)).rowcount
        db.session.commit()
        run.messages_deleted += gone
        if gone < batch:
            break
