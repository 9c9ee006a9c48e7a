"""The batch offer: after commit the row ids go to a Redis list and one drain job
runs them; the relay and the classic per-row jobs remain the safety net."""
from collections import Counter
from datetime import timedelta

import pytest
import redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from community.core.extensions import db
from community.outbox import emit, register_handler, relay_outbox
from community.outbox.models import OutboxRow
from community.outbox.services import (DRAIN_JOB_PATH, DRAIN_PENDING_KEY, JOB_PATH, OFFERED_KEY,
                                       ORPHAN_AFTER, _handlers, drain_offered)
from community.core.timeutil import utcnow
from tests.factories import T0
from workers import jobs

KIND = "test.counted"


@pytest.fixture
def calls(app):
    """A handler that counts its runs per row key; it fails while the key is in `fail`."""
    seen = Counter()
    seen.fail = set()

    def handler(payload):
        seen[payload["key"]] += 1
        if payload["key"] in seen.fail:
            raise RuntimeError(f"handler failed for {payload['key']}")

    register_handler(KIND, handler)
    yield seen
    _handlers.pop(KIND, None)


def _emit(key):
    row = emit(KIND, key, {"key": key}, now=T0)
    db.session.flush()  # its id
    return row


def _queue(app):
    return Queue("default", connection=app.extensions["redis"])


def _jobs(queue):
    return [(job.func_name, job.id) for job in (queue.fetch_job(i) for i in queue.job_ids)]


def _offered(connection):
    return [int(i) for i in connection.lrange(OFFERED_KEY, 0, -1)]


def _work(app):
    jobs.use_app(app)
    connection = app.extensions["redis"]
    SimpleWorker([_queue(app)], connection=connection).work(burst=True)
    db.session.expire_all()


def _rows():
    return list(db.session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def test_many_commits_make_one_drain_job_that_runs_every_row_once(app, areas, calls):
    ids = []
    for n in range(12):  # twelve transactions, e.g. twelve filings
        ids.append(_emit(f"k{n}").id)
        if n == 5:
            ids.append(_emit("k5b").id)  # a transaction with two rows: one push
        db.session.commit()
    connection = app.extensions["redis"]
    queue = _queue(app)
    assert _offered(connection) == ids
    assert [name for name, _ in _jobs(queue)] == [DRAIN_JOB_PATH]  # one job, no per-row jobs
    assert connection.exists(DRAIN_PENDING_KEY)

    _work(app)
    assert all(r.done_at is not None and r.attempts == 1 for r in _rows())
    assert set(calls) == {r.payload["key"] for r in _rows()} and set(calls.values()) == {1}
    assert _offered(connection) == [] and queue.job_ids == []
    assert not connection.exists(DRAIN_PENDING_KEY)  # the drain cleared it as it started
    # Nothing is offered twice afterwards: not even once the rows look like orphans.
    assert relay_outbox(utcnow() + ORPHAN_AFTER + timedelta(seconds=1)) == 0

    _emit("later")  # the next offer, after that drain started, schedules a fresh one
    db.session.commit()
    assert [name for name, _ in _jobs(queue)] == [DRAIN_JOB_PATH]
    _work(app)
    assert calls["later"] == 1 and sum(calls.values()) == len(ids) + 1


def test_rows_are_offered_when_the_outer_transaction_commits_not_at_a_savepoint(app, areas, calls):
    """A SAVEPOINT's commit (surveys keep one for the unique key) fires after_commit
    too: the rows before it are offered at the real commit, not before (a drain would
    not find them yet), and a savepoint rolled back does not drop the others' offer."""
    connection = app.extensions["redis"]
    before = _emit("before")
    with db.session.begin_nested():
        inside = _emit("inside")
    assert _offered(connection) == []  # nothing offered while the transaction is open
    try:
        with db.session.begin_nested():
            _emit("undone")
            raise RuntimeError("the savepoint is rolled back")
    except RuntimeError:
        pass
    assert [r.key for r in _rows()] == ["before", "inside"]
    db.session.commit()
    assert set(_offered(connection)) >= {before.id, inside.id}
    _work(app)
    assert calls["before"] == calls["inside"] == 1 and calls["undone"] == 0
    assert all(r.done_at is not None for r in _rows())


def test_a_drain_takes_its_share_and_hands_the_rest_to_a_fresh_drain(app, areas, calls):
    for n in range(12):
        _emit(f"k{n}")
        db.session.commit()
    connection = app.extensions["redis"]
    queue = _queue(app)
    queue.empty()  # the drain job of those offers is run by hand here, bounded
    assert drain_offered(T0, max_rows=5) == 5
    assert len(_offered(connection)) == 7
    assert [name for name, _ in _jobs(queue)] == [DRAIN_JOB_PATH]  # the hand-over
    db.session.expire_all()
    done = [r.done_at for r in _rows()][:5]  # the explicit now, plus the drain's own time
    assert all(T0 <= at < T0 + timedelta(seconds=10) for at in done) and done == sorted(done)
    _work(app)
    assert all(r.done_at is not None for r in _rows()) and set(calls.values()) == {1}


def test_ids_popped_by_a_drain_that_died_are_relayed_as_classic_jobs(app, areas, calls):
    ids = [_emit(f"k{n}").id for n in range(3)]
    db.session.commit()
    connection = app.extensions["redis"]
    assert sorted(int(i) for i in connection.lpop(OFFERED_KEY, 100)) == ids  # popped, then died
    now = utcnow()
    _work(app)  # the drain job finds the list empty
    assert all(r.done_at is None for r in _rows()) and not calls

    assert relay_outbox(now + ORPHAN_AFTER - timedelta(seconds=1)) == 0  # too soon to tell
    assert relay_outbox(now + ORPHAN_AFTER + timedelta(seconds=1)) == 3  # no RQ job: orphans
    db.session.commit()
    assert sorted(_jobs(_queue(app))) == sorted((JOB_PATH, f"outbox-{i}") for i in ids)
    _work(app)
    assert all(r.done_at is not None and r.attempts == 1 for r in _rows())
    assert set(calls.values()) == {1} and len(calls) == 3


def test_a_row_failing_in_a_drain_goes_back_to_the_classic_path(app, areas, calls):
    calls.fail.add("bad")
    good, bad, after = _emit("good").id, _emit("bad").id, _emit("after").id
    db.session.commit()
    _work(app)  # the drain: one failure rolls back that row only, the others run
    row = db.session.get(OutboxRow, bad)
    assert row.done_at is None and row.attempts == 1 and "handler failed" in row.last_error
    assert row.enqueued_at is None  # waiting: the relay offers it as a classic job
    assert db.session.get(OutboxRow, good).done_at and db.session.get(OutboxRow, after).done_at
    assert _queue(app).job_ids == []

    calls.fail.clear()  # the cause is fixed
    assert relay_outbox(utcnow()) == 1
    db.session.commit()
    job = _queue(app).fetch_job(f"outbox-{bad}")
    assert job.func_name == JOB_PATH and job.retries_left == 5  # RQ's retry backoff, as before
    _work(app)
    row = db.session.get(OutboxRow, bad)
    assert row.done_at is not None and row.attempts == 2 and row.last_error == ""
    assert calls == Counter(good=1, bad=2, after=1)


def test_with_redis_down_at_commit_the_rows_wait_for_the_relay(app, areas, calls):
    real = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        ids = [_emit("a").id, _emit("b").id]
        db.session.commit()
        assert all(r.enqueued_at is None and r.done_at is None for r in _rows())
        assert relay_outbox(utcnow()) == 0  # still down
        db.session.commit()
    finally:
        app.extensions["redis"] = real
    assert _offered(real) == [] and not real.exists(DRAIN_PENDING_KEY)
    assert relay_outbox(utcnow()) == 2  # Redis is back: classic per-row jobs
    db.session.commit()
    assert sorted(_jobs(_queue(app))) == sorted((JOB_PATH, f"outbox-{i}") for i in ids)
    _work(app)
    assert all(r.done_at is not None for r in _rows()) and calls == Counter(a=1, b=1)


def test_a_drain_stopped_by_rqs_timeout_says_so_and_leaves_the_rest(app, areas, calls):
    """RQ's job timeout inside a row: the row goes back to the classic path and the drain
    stops with the timeout itself (it raised UnboundLocalError here before), leaving the ids it
    did not run to the relay's orphan check."""
    from rq.timeouts import JobTimeoutException

    def too_slow(payload):
        raise JobTimeoutException("Task exceeded maximum timeout value (5 seconds)")

    register_handler("test.too_slow", too_slow)
    try:
        slow = emit("test.too_slow", "slow", {}, now=T0)
        later = _emit("later")
        db.session.commit()
        slow_id, later_id = slow.id, later.id
        with pytest.raises(JobTimeoutException):
            drain_offered(utcnow())
        row = db.session.get(OutboxRow, slow_id)
        assert row.done_at is None and "JobTimeoutException" in row.last_error
        assert db.session.get(OutboxRow, later_id).done_at is None  # not run: the relay's
    finally:
        _handlers.pop("test.too_slow", None)
