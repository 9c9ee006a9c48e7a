"""The outbox: work survives a Redis outage, jobs are keyed and idempotent, retried on error."""
from datetime import timedelta

import pytest
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from community.core.extensions import db
from community.outbox import emit, register_handler, relay_outbox
from community.outbox.models import OutboxRow
from community.outbox.services import _handlers
from community.tickets.services import Filing, submit_ticket
from community.core.timeutil import utcnow
from community.workqueue import actions
from community.workqueue.models import Notification
from tests.factories import T0, file_ticket
from workers import jobs


def _run_worker(app, connection):
    jobs.use_app(app)
    worker = SimpleWorker([Queue("default", connection=connection)], connection=connection)
    worker.work(burst=True)


def test_emit_is_keyed_and_part_of_the_transaction(app, areas):
    first = emit("test.noop", "k1", {"a": 1}, now=T0)
    assert emit("test.noop", "k1", {"a": 2}, now=T0) is first  # same transaction
    db.session.commit()
    assert emit("test.noop", "k1", {"a": 3}, now=T0).payload == {"a": 1}  # committed earlier
    emit("test.noop", "k2", {}, now=T0)
    db.session.rollback()  # the change that promised it did not happen: neither does the work
    assert db.session.scalar(select(func.count()).select_from(OutboxRow)) == 1
    with pytest.raises(TypeError):
        emit("test.noop", "k3", {"when": T0}, now=T0)  # JSON only


def test_filing_and_handling_work_with_redis_stopped_and_nothing_is_lost(app, people, areas, redis_down):
    filing = Filing(kind="help", category_code="ELD", text="独居老人需要助餐。",
                    community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id, channel="grid_worker",
                    contact_phone="13800000001")
    start = utcnow() - timedelta(hours=1)  # the worker below sends the texts at its own (real) now
    ticket = submit_ticket(filing, people.grid, start)  # 代办: the resident gets a text
    db.session.commit()
    actions.accept(ticket, people.grid, start + timedelta(minutes=5))
    db.session.commit()
    rows = list(db.session.scalars(select(OutboxRow)))
    assert rows and all(r.enqueued_at is None and r.done_at is None for r in rows)
    assert relay_outbox(start + timedelta(minutes=6)) == 0  # still down: rows wait
    db.session.commit()

    app.extensions["redis"] = redis_down  # Redis is back
    assert relay_outbox(start + timedelta(minutes=7)) == len(rows)
    db.session.commit()
    queue = Queue("default", connection=redis_down)
    assert sorted(queue.job_ids) == sorted(f"outbox-{r.id}" for r in rows)
    _run_worker(app, redis_down)
    db.session.expire_all()
    assert all(r.done_at is not None for r in db.session.scalars(select(OutboxRow)))
    sent = db.session.scalars(select(Notification).where(Notification.phone != "")).all()
    assert sent and all(n.sent_at is not None for n in sent)
    assert relay_outbox(start + timedelta(hours=5)) == 0  # done rows are never sent again


def test_a_job_killed_mid_way_is_retried_without_doing_its_work_twice(app, people, areas):
    start = utcnow()  # the relay compares with the real moment rows were offered
    ticket = file_ticket(people, areas, now=start)
    calls = {"n": 0}

    def escalate_once(payload):
        from community.tickets.models import Ticket
        from community.workqueue.routing import escalate

        calls["n"] += 1
        escalate(db.session.get(Ticket, payload["ticket_id"]), None, start + timedelta(hours=1),
                 "测试", action="auto_escalate")
        db.session.flush()
        if calls["n"] == 1:
            raise RuntimeError("worker killed before commit")

    register_handler("test.escalate", escalate_once)
    try:
        row = emit("test.escalate", f"test:{ticket.id}", {"ticket_id": ticket.id}, now=start)
        db.session.commit()  # offered straight after commit
        assert relay_outbox(start) == 0  # so the relay has nothing to add
        connection = app.extensions["redis"]
        _run_worker(app, connection)  # the first run (the drain) fails; the row waits for a retry
        db.session.expire_all()
        row = db.session.get(OutboxRow, row.id)
        assert row.done_at is None and row.attempts == 1 and "worker killed" in row.last_error
        assert db.session.get(type(ticket), ticket.id).tier == "grid"  # rolled back whole
        jobs.outbox_job(row.id)  # the retry
        jobs.outbox_job(row.id)  # and a duplicate copy of the job (re-relayed): a no-op
        db.session.expire_all()
        assert db.session.get(OutboxRow, row.id).done_at is not None
        assert calls["n"] == 2
        from tests.unit.test_sla_sweep import events

        assert len(events(ticket, "auto_escalate")) == 1
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == people.resident.id)) == 1
    finally:
        _handlers.pop("test.escalate", None)


def test_failed_jobs_land_in_rqs_failed_registry(app, areas):
    register_handler("test.always_fails", lambda payload: 1 / 0)
    try:
        row = emit("test.always_fails", "fails", {}, now=T0)
        db.session.commit()
        connection = app.extensions["redis"]
        queue = Queue("default", connection=connection)
        queue.enqueue(jobs.JOB_PATH if hasattr(jobs, "JOB_PATH") else "workers.jobs.outbox_job",
                      row.id, job_id="outbox-fails")  # no retries: straight to failed
        _run_worker(app, connection)
        assert "outbox-fails" in FailedJobRegistry(queue=queue).get_job_ids()
        db.session.expire_all()
        assert "ZeroDivisionError" in db.session.get(OutboxRow, row.id).last_error
    finally:
        _handlers.pop("test.always_fails", None)


def test_a_row_whose_offer_never_reached_redis_is_relayed_after_two_minutes(app, areas):
    """Rows are written as offered; a process that dies between its commit and the
    offer leaves one that RQ never saw. The relay finds it by asking RQ."""
    from rq.job import Job

    from community.outbox.services import OFFERED_KEY, _enqueue

    row = emit("test.noop", "orphan", {}, now=utcnow())
    kept = emit("test.noop", "kept", {}, now=utcnow())
    db.session.commit()  # both offered (the batch list) after the commit
    connection = app.extensions["redis"]
    connection.delete(OFFERED_KEY)  # as if that offer never happened
    _enqueue(Queue("default", connection=connection), kept.id)  # RQ knows this one (a classic job)
    now = utcnow()
    assert relay_outbox(now + timedelta(minutes=1)) == 0  # too soon to tell
    assert relay_outbox(now + timedelta(minutes=3)) == 1  # the orphan only: RQ knows the other
    db.session.commit()
    assert connection.exists(Job.key_for(f"outbox-{row.id}"))
    assert db.session.get(OutboxRow, kept.id).enqueued_at < now + timedelta(minutes=1)
