"""Periodic work on `rq cron` (workers/cron.py): one list, once across schedulers.

In-process here (two LeasedCronScheduler objects on the test's Redis); with two real
scheduler processes, one killed, in tests/faults/test_cron_processes.py."""
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from community.core.extensions import db
from community.outbox import emit, register_handler
from community.outbox.models import OutboxRow
from community.core.timeutil import utcnow
from workers import jobs
from workers.cron import LEASE_KEY, make_scheduler

PERIODIC = {"outbox-relay", "sla-sweep", "calendar-check", "stats-rollup", "privacy-retention", "hotspots",
            "partitions"}


def _queued(connection):
    queue = Queue("default", connection=connection)
    return sorted(job.func_name for job in queue.get_jobs())


def test_every_periodic_job_is_in_the_one_list(app):
    scheduler = make_scheduler(app.extensions["redis"])
    entries = {job.name: job for job in scheduler.get_jobs()}
    assert set(entries) == PERIODIC
    assert entries["outbox-relay"].interval == app.config["COMMUNITY_OUTBOX_RELAY_SECONDS"]
    assert entries["sla-sweep"].interval == app.config["COMMUNITY_SLA_SWEEP_SECONDS"]
    assert entries["calendar-check"].cron == "7 * * * *"


def test_two_schedulers_enqueue_each_periodic_job_once(app):
    connection = app.extensions["redis"]
    first, second = make_scheduler(connection), make_scheduler(connection)
    assert {j.name for j in first.enqueue_jobs()} == {"outbox-relay", "sla-sweep"}  # intervals: at once
    assert second.enqueue_jobs() == [] and not second.active  # a standby
    assert first.enqueue_jobs() == []  # not due again yet; the lease renewed
    assert _queued(connection) == ["workers.jobs.relay_outbox_job", "workers.jobs.sla_sweep_job"]
    assert second.calculate_sleep_interval() <= 5  # a standby keeps looking at the lease


def test_a_standby_takes_over_when_the_active_scheduler_stops(app):
    connection = app.extensions["redis"]
    first, second = make_scheduler(connection), make_scheduler(connection)
    first.enqueue_jobs()
    second.enqueue_jobs()
    first.register_birth()
    first.register_death()  # a clean stop gives the lease back
    assert {j.name for j in second.enqueue_jobs()} == {"outbox-relay", "sla-sweep"}
    assert second.active
    assert first.enqueue_jobs() == []  # back again: it waits as the standby


def test_a_lapsed_lease_is_taken_over_and_the_old_holder_stands_down(app):
    connection = app.extensions["redis"]
    first, second = make_scheduler(connection), make_scheduler(connection)
    first.enqueue_jobs()
    connection.delete(LEASE_KEY)  # as when the holder hung past its lease
    assert second.hold_lease()
    assert not first.hold_lease() and not first.active


def test_work_waiting_in_the_outbox_is_done_by_the_scheduled_relay(app, areas):
    """A row whose offer to RQ was lost (Redis away at commit) is done once the scheduler's
    relay has run: delayed, not lost."""
    connection = app.extensions["redis"]
    done = []
    register_handler("test.cron_relay", done.append)
    row = emit("test.cron_relay", "cron-relay", {"n": 1}, now=utcnow())
    db.session.commit()
    connection.flushdb()  # the offer never reached Redis
    db.session.execute(OutboxRow.__table__.update().values(enqueued_at=None))
    db.session.commit()
    make_scheduler(connection).enqueue_jobs()
    jobs.use_app(app)
    for _ in range(2):  # the relay offers the row; the next round runs it
        SimpleWorker([Queue("default", connection=connection)], connection=connection).work(burst=True)
    db.session.expire_all()
    assert db.session.get(OutboxRow, row.id).done_at is not None and done == [{"n": 1}]
    assert db.session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.done_at.is_(None))) == 0


def test_a_scheduler_that_loses_redis_waits_and_starts_again(caplog):
    """Redis gone under the scheduler: it logs, waits for Redis and carries on with a
    fresh scheduler, instead of exiting (the periodic work is delayed, not dropped)."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from workers.cron import run

    class Connection:
        pings = 0

        def ping(self):
            self.pings += 1
            if self.pings == 2:  # still down when first asked again
                raise RedisConnectionError("Connection refused")
            return True

    class Scheduler:
        made = []

        def __init__(self, connection):
            Scheduler.made.append(self)

        def start(self):
            if len(Scheduler.made) == 1:
                raise RedisConnectionError("Connection closed by server")

    slept = []
    assert run(Connection(), factory=Scheduler, sleep=slept.append) == 2
    assert len(Scheduler.made) == 2 and slept  # waited (backing off), then a second scheduler
    assert any("Redis unavailable" in r.getMessage() for r in caplog.records)
