"""emit() / register_handler() / relay_outbox() / run_row().

A service that must trigger background work calls emit() inside its own
transaction; the row commits or rolls back with the change that caused it.
After commit the rows are offered to RQ at once (best effort), and the relay
(run by every worker each minute, or `flask --app wsgi outbox relay`) enqueues
whatever is still waiting, so a Redis outage delays work and never loses it.
"""
import json
import logging
from datetime import datetime, timedelta
from typing import Callable

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import event as sa_event
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from community.extensions import db

from .models import OutboxRow

log = logging.getLogger(__name__)

_handlers: dict[str, Callable[[dict], object]] = {}

JOB_PATH = "workers.jobs.outbox_job"
MAX_ATTEMPTS = 6            # after that the row waits for the admin (see /admin/jobs)
RETRY_INTERVALS = [10, 60, 300, 900, 3600]  # seconds between RQ's retries (backoff)
STALE_AFTER = timedelta(hours=2)  # enqueued but not done: Redis lost it, enqueue again


def register_handler(kind: str, fn: Callable[[dict], object]) -> None:
    """Say which function does the work of `kind`.

    Call it at import time of your module (a module create_app() imports, so
    the web and the worker both know it). `fn(payload)` runs in a worker,
    inside an app context and a transaction that is committed together with
    the row's done_at, so database work in it happens exactly once. Work
    outside the database (sending a text) must be idempotent by itself:
    the job may be retried after a crash.
    """
    _handlers[kind] = fn


def handler_for(kind: str):
    return _handlers.get(kind)


def emit(kind: str, key: str, payload: dict, *, now: datetime) -> OutboxRow:
    """Promise background work, in the caller's transaction (adds a row, no commit).

    `key` names the work uniquely (e.g. f"stats:ticket:{id}:{event_id}"): a
    second emit with the same key, in this transaction or any earlier one,
    returns the existing row and adds nothing. `payload` must be JSON
    (ids and plain values, never ORM objects). If the transaction rolls
    back, the work is forgotten with it.
    """
    if not key or len(key) > 200:
        raise ValueError("outbox key must be 1-200 characters")
    json.dumps(payload)  # fail here, in the caller, not later in the relay
    session = db.session
    for obj in session.new:
        if isinstance(obj, OutboxRow) and obj.key == key:
            return obj
    with session.no_autoflush:
        existing = session.scalar(select(OutboxRow).where(OutboxRow.key == key))
    if existing is not None:
        return existing
    row = OutboxRow(kind=kind, key=key, payload=payload, created_at=now, attempts=0,
                    last_error="")
    session.add(row)
    return row


def _queue():
    from community.jobs import queue

    return queue()


def _enqueue(queue, row_id: int) -> None:
    queue.enqueue(JOB_PATH, row_id, job_id=f"outbox-{row_id}",
                  retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                  failure_ttl=30 * 24 * 3600)


def relay_outbox(now: datetime, limit: int = 500) -> int:
    """Enqueue waiting rows; returns how many went to RQ. The caller commits.

    Stops quietly at the first Redis error: the rows stay waiting for the
    next run. Several relays may run at once (rows are locked, SKIP LOCKED).
    """
    query = (select(OutboxRow)
             .where(OutboxRow.done_at.is_(None), OutboxRow.attempts < MAX_ATTEMPTS,
                    or_(OutboxRow.enqueued_at.is_(None), OutboxRow.enqueued_at < now - STALE_AFTER))
             .order_by(OutboxRow.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    queue = None
    for row in db.session.scalars(query):
        try:
            queue = queue or _queue()
            _enqueue(queue, row.id)
        except RedisError as exc:
            log.warning("outbox relay: Redis unavailable (%s); %s rows wait", exc, limit - sent)
            break
        row.enqueued_at = now
        sent += 1
    return sent


def run_row(row_id: int, now: datetime) -> bool:
    """Do one row's work unless it is done already; True when it ran. The caller commits."""
    query = select(OutboxRow).where(OutboxRow.id == row_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()  # a second copy of the job waits, then sees done_at
    row = db.session.scalar(query)
    if row is None or row.done_at is not None:
        return False
    handler = _handlers.get(row.kind)
    if handler is None:
        raise LookupError(f"no outbox handler registered for {row.kind!r}")
    handler(dict(row.payload or {}))
    row.attempts += 1
    row.done_at = now
    row.last_error = ""
    return True


def record_failure(row_id: int, error: str) -> None:
    """After a failed run (its transaction rolled back): count it and keep the error."""
    row = db.session.get(OutboxRow, row_id)
    if row is not None and row.done_at is None:
        row.attempts += 1
        row.last_error = error[-4000:]


def retry_row(row_id: int) -> None:
    """The admin asks for another round after fixing the cause."""
    row = db.session.get(OutboxRow, row_id)
    if row is not None and row.done_at is None:
        row.attempts = 0
        row.enqueued_at = None


def failed_rows(limit: int = 100) -> list[OutboxRow]:
    return list(db.session.scalars(
        select(OutboxRow).where(OutboxRow.done_at.is_(None), OutboxRow.last_error != "")
        .order_by(OutboxRow.id.desc()).limit(limit)))


def waiting_count() -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.done_at.is_(None))) or 0


# After commit, offer the new rows to RQ straight away; the relay is the safety net.
def _after_flush(session, flush_context):
    # session.new still lists what was just inserted, now with ids.
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxRow)]
    if ids:
        session.info.setdefault("outbox_new", []).extend(ids)


def _after_commit(session):
    ids = session.info.pop("outbox_new", [])
    if not ids:
        return
    done = []
    try:
        queue = _queue()
        for row_id in ids:
            _enqueue(queue, row_id)
            done.append(row_id)
    except (RedisError, OSError, RuntimeError):
        log.info("outbox: %d rows left for the relay", len(ids) - len(done))
    if done:  # so the relay does not enqueue them a second time
        from community.timeutil import utcnow

        try:
            with session.get_bind().begin() as conn:
                conn.execute(update(OutboxRow.__table__).where(
                    OutboxRow.__table__.c.id.in_(done), OutboxRow.__table__.c.enqueued_at.is_(None))
                    .values(enqueued_at=utcnow()))
        except SQLAlchemyError:  # the change is committed; the relay may offer it again (keyed job)
            log.warning("outbox: could not mark %d rows enqueued", len(done))


def _forget(session):
    session.info.pop("outbox_new", None)


def install():
    for name, fn in (("after_flush", _after_flush), ("after_commit", _after_commit),
                     ("after_rollback", _forget)):
        if not sa_event.contains(Session, name, fn):
            sa_event.listen(Session, name, fn)
