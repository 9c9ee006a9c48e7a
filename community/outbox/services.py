"""emit() / register_handler() / relay_outbox() / run_row().

A service that must trigger background work calls emit() inside its own
transaction; the row commits or rolls back with the change that caused it.
After commit the new row ids are offered at once (best effort) in a batch: pushed
to a Redis list that one RQ drain job empties (drain_offered). The relay (run by
the workers every 30 s, or `flask --app wsgi outbox relay`) enqueues whatever
is still waiting as classic per-row jobs, so a Redis outage delays work and
never loses it.
"""
import functools
import json
import logging
import time
from datetime import datetime, timedelta
from typing import Callable

from redis.exceptions import RedisError
from rq import Retry
from rq.timeouts import BaseTimeoutException
from rq.job import Job
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from community.core.extensions import db
from community.core.timeutil import utcnow

from .models import OutboxRow

log = logging.getLogger(__name__)

_handlers: dict[str, Callable[[dict], object]] = {}

JOB_PATH = "workers.jobs.outbox_job"
MAX_ATTEMPTS = 6            # after that the row waits for the admin (see /admin/jobs)
RETRY_INTERVALS = [10, 60, 300, 900, 3600]  # seconds between RQ's retries (backoff)
STALE_AFTER = timedelta(hours=2)  # enqueued but not done: Redis lost it, enqueue again
# Offered this long ago, not done, and RQ holds no such job: the offer never reached
# Redis (the process died between its commit and the offer). Enqueue it again.
ORPHAN_AFTER = timedelta(minutes=2)

# The batch offer: ids go to OFFERED_KEY; whoever sets DRAIN_PENDING_KEY (NX) enqueues
# the one drain job, which deletes the flag as it starts. The flag's expiry only
# matters when that enqueue failed: the next offer after it schedules a drain.
OFFERED_KEY = "community:outbox:offered"
DRAIN_PENDING_KEY = "community:outbox:drain-pending"
DRAIN_PENDING_SECONDS = 30
DRAIN_JOB_PATH = "workers.jobs.outbox_drain_job"
DRAIN_CHUNK = 50            # ids popped at once: at most this many wait for the relay if a drain dies
DRAIN_MAX_ROWS = 1000       # one drain's share; more left: it hands over to a fresh drain job
DRAIN_MAX_SECONDS = 5       # short, so a worker's warm shutdown (SIGTERM) waits little


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

    The row is written as enqueued (enqueued_at set): right after the commit it
    is offered (the batch list and its drain job), and only if that fails is it
    marked waiting again for the relay (see _after_commit), so the usual case
    needs no second transaction. A row whose offer never led to a run (the
    process died before the offer, or a drain died after popping it) is offered
    again by the relay ORPHAN_AFTER later, as a classic per-row job.
    """
    _check(key, payload)
    session = db.session
    for obj in session.new:
        if isinstance(obj, OutboxRow) and obj.key == key:
            return obj
    with session.no_autoflush:
        existing = session.scalar(select(OutboxRow).where(OutboxRow.key == key))
    if existing is not None:
        return existing
    row = OutboxRow(kind=kind, key=key, payload=payload, created_at=now, attempts=0,
                    last_error="", enqueued_at=utcnow())
    session.add(row)
    return row


def emit_fresh(kind: str, key: str, payload: dict, *, now: datetime) -> int:
    """emit() for a key that cannot have been used before (it holds a random
    token, e.g. stats.day's per-transaction key): no look-up, and the row is
    written at once with one plain INSERT, outside the ORM's flush. Returns
    its id. Same transaction, same offer to RQ after the commit."""
    _check(key, payload)
    session = db.session
    with session.no_autoflush:
        row_id = session.execute(_insert_row(), {
            "kind": kind, "key": key, "payload": payload, "created_at": now,
            "enqueued_at": utcnow(), "attempts": 0, "last_error": ""}).scalar_one()
    session.info.setdefault("outbox_new", []).append((row_id, True))
    return row_id


def _check(key: str, payload: dict) -> None:
    if not key or len(key) > 200:
        raise ValueError("outbox key must be 1-200 characters")
    json.dumps(payload)  # fail here, in the caller, not later in the relay


@functools.cache
def _insert_row():
    return insert(OutboxRow.__table__).returning(OutboxRow.__table__.c.id)


def _queue():
    from community.core.jobs import queue

    return queue()


def _redis():
    from flask import current_app

    return current_app.extensions["redis"]


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
    else:
        if sent < limit:
            sent += _relay_orphans(now, limit - sent)
    return sent


def _relay_orphans(now: datetime, limit: int) -> int:
    # Only classic jobs are looked up: a row still in the offered list (a backlog the
    # drains have not reached within ORPHAN_AFTER) gets a classic job as well. That
    # double offer is safe: run_row locks the row and skips it once done_at is set,
    # so whichever comes second does nothing; a backlog just costs extra no-op jobs.
    query = (select(OutboxRow)
             .where(OutboxRow.done_at.is_(None), OutboxRow.attempts < MAX_ATTEMPTS,
                    OutboxRow.enqueued_at < now - ORPHAN_AFTER,
                    OutboxRow.enqueued_at >= now - STALE_AFTER)
             .order_by(OutboxRow.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(db.session.scalars(query))
    if not rows:
        return 0
    sent = 0
    try:
        queue = _queue()
        with queue.connection.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.exists(Job.key_for(f"outbox-{row.id}"))
            known = pipe.execute()
        for row, in_rq in zip(rows, known):
            if not in_rq:
                _enqueue(queue, row.id)
                row.enqueued_at = now
                sent += 1
    except RedisError as exc:
        log.warning("outbox relay: Redis unavailable (%s) while checking offered rows", exc)
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


def record_failure(row_id: int, error: str, *, requeue: bool = False) -> None:
    """After a failed run (its transaction rolled back): count it and keep the error.
    `requeue` marks the row waiting, so the relay offers it as a classic job."""
    row = db.session.get(OutboxRow, row_id)
    if row is not None and row.done_at is None:
        row.attempts += 1
        row.last_error = error[-4000:]
        if requeue:
            row.enqueued_at = None


def drain_offered(now: datetime, *, max_rows: int = DRAIN_MAX_ROWS,
                  max_seconds: float = DRAIN_MAX_SECONDS) -> int:
    """Run the rows offered in the batch list; returns how many ran. Commits itself:
    each row in its own transaction, as outbox_job does (call it in an app context).

    A row that fails is rolled back, counted, and handed to the classic path (marked
    waiting: the relay enqueues it as a per-row job with RQ's retry backoff). Ids
    popped by a drain that dies before running them are found by the relay's orphan
    check (enqueued, not done, no `outbox-<id>` job) ORPHAN_AFTER later.
    """
    connection = _redis()
    # First: an offer made from now on schedules a fresh drain instead of relying on us.
    connection.delete(DRAIN_PENDING_KEY)
    started = time.monotonic()
    taken = ran = 0
    while taken < max_rows and time.monotonic() - started < max_seconds:
        ids = connection.lpop(OFFERED_KEY, min(DRAIN_CHUNK, max_rows - taken))  # atomic; Redis ≥ 6.2
        if not ids:
            return ran
        taken += len(ids)
        for raw in ids:
            # done_at as the clock reads when the row ran, counted from the given now
            ran += _drain_row(raw, now + timedelta(seconds=time.monotonic() - started))
    if connection.llen(OFFERED_KEY):  # our share is done and more waits: hand it over
        _schedule_drain(connection)
    return ran


def _drain_row(raw, now: datetime) -> int:
    try:
        row_id = int(raw)
    except ValueError:
        log.error("outbox drain: %r in the offered list is not a row id; skipped", raw)
        return 0
    try:
        ran = run_row(row_id, now)
        db.session.commit()
        return int(ran)
    except Exception as exc:
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        timed_out = exc if isinstance(exc, BaseTimeoutException) else None  # `exc` ends with the block
    finally:
        db.session.remove()  # each row starts with a fresh session, as its own job would
    log.warning("outbox drain: row %s failed (%s); left for a classic job", row_id, error)
    record_failure(row_id, error, requeue=True)
    db.session.commit()  # if even this fails the drain stops; the relay's orphan check covers it
    db.session.remove()
    if timed_out is not None:  # RQ's job timeout: stop here, the ids not run are the relay's (orphans)
        raise timed_out
    return 0


def _schedule_drain(connection) -> bool:
    if not connection.set(DRAIN_PENDING_KEY, 1, nx=True, ex=DRAIN_PENDING_SECONDS):
        return False  # a drain is already pending; it will pop these ids too
    _enqueue_drain_or_release(connection)
    return True


def _enqueue_drain_or_release(connection) -> None:
    """Enqueue the drain this caller claimed; if that fails, give the claim back so
    the next offer tries again instead of waiting out the flag's expiry."""
    try:
        _enqueue_drain()
    except (RedisError, OSError):
        try:
            connection.delete(DRAIN_PENDING_KEY)
        except (RedisError, OSError):
            pass  # the flag expires by itself
        raise


def _enqueue_drain() -> None:
    queue = _queue()
    # In a pipeline RQ's enqueue costs ~30 % less CPU; the timeout leaves room for a
    # slow row past the DRAIN_MAX_SECONDS bound (a row timed out is a failure: classic path).
    with queue.connection.pipeline() as pipe:
        queue.enqueue(DRAIN_JOB_PATH, job_timeout=600, failure_ttl=30 * 24 * 3600,
                      result_ttl=0, pipeline=pipe)  # nothing to keep: one per burst of offers
        pipe.execute()


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


# After commit, offer the new rows straight away (batch list + drain); the relay is the safety net.
def _after_flush(session, flush_context):
    # session.new still lists what was just inserted, now with ids. Rows from
    # emit() were written as enqueued; others (added directly) as waiting.
    new = [(obj.id, obj.enqueued_at is not None) for obj in session.new if isinstance(obj, OutboxRow)]
    if new:
        session.info.setdefault("outbox_new", []).extend(new)


def _after_commit(session):
    rows = session.info.pop("outbox_new", [])
    if not rows:
        return
    done = set()
    try:
        connection = _redis()
        # One round trip: the ids join the list, and the first offer since the last
        # drain started claims the job of scheduling the next one.
        with connection.pipeline(transaction=False) as pipe:
            pipe.rpush(OFFERED_KEY, *(row_id for row_id, _marked in rows))
            pipe.set(DRAIN_PENDING_KEY, 1, nx=True, ex=DRAIN_PENDING_SECONDS)
            _length, claimed = pipe.execute()
        done.update(row_id for row_id, _marked in rows)
        if claimed:
            # If this enqueue fails the ids stay listed: the next offer schedules a
            # drain, or the relay's orphan check offers them.
            _enqueue_drain_or_release(connection)
    except (RedisError, OSError, RuntimeError) as exc:
        log.info("outbox: offer failed (%s); %d rows left for the relay", exc, len(rows) - len(done))
    # Rows written as enqueued that did not reach RQ wait for the relay; rows
    # written as waiting that did are marked, so the relay does not send them twice.
    waiting = [row_id for row_id, marked in rows if marked and row_id not in done]
    sent = [row_id for row_id, marked in rows if not marked and row_id in done]
    if not waiting and not sent:
        return
    table = OutboxRow.__table__
    try:
        with session.get_bind().begin() as conn:
            if waiting:
                conn.execute(update(table).where(table.c.id.in_(waiting), table.c.done_at.is_(None))
                             .values(enqueued_at=None))
            if sent:
                conn.execute(update(table).where(table.c.id.in_(sent), table.c.enqueued_at.is_(None))
                             .values(enqueued_at=utcnow()))
    except SQLAlchemyError:  # committed; the relay offers them again once they look stale
        log.warning("outbox: could not mark %d rows", len(waiting) + len(sent))


def _forget(session):
    session.info.pop("outbox_new", None)


# Listened for on every Session: community.wiring.SESSION_LISTENERS.
