"""Retention (DOMAIN.md "Privacy"): the personal data of requests closed more than
COMMUNITY_RETENTION_YEARS (3) ago is anonymised; counts and figures stay.

Run daily by `rq cron` (workers/cron.py) and by hand with
`flask --app wsgi privacy retention [--dry-run] [--now …]`. It walks the partial
index of closed requests not yet anonymised (0018), oldest first, in batches of
COMMUNITY_RETENTION_BATCH, each committed on its own: a batch's row locks last
milliseconds, never the whole run. A second run finds nothing to do.
"""
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from community.core.extensions import db
from community.tickets.models import Ticket

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
    run.seconds = time.monotonic() - started
    db.session.add(PrivacyAudit(at=now, action=RETENTION, rows=run.anonymised, note=(
        f"closed before {run.cutoff:%Y-%m-%d %H:%M} UTC; {run.batches} batches of up to {batch}; "
        f"{run.seconds:.1f} s, longest batch {run.longest_batch * 1000:.0f} ms")))
    db.session.commit()
    return run
