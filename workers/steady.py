"""Riding out a Redis outage: wait, back off, log a line a minute, carry on (issue 21).

RQ's worker retries while it waits for a job, but a Redis failure anywhere else
(reporting a job's end, a heartbeat after it, cleaning registries) ends its work
loop, and its last act, recording its own death, fails too: the process exits and
notifications, rollups, the relay and the SLA sweep stop until someone restarts
it. SteadyWorker waits for Redis wherever it meets the failure; the loop in
workers.worker.main starts a fresh worker if one ends anyway. Nothing is lost
meanwhile: the work is in outbox rows, done once (community.outbox).
"""
import logging
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker

log = logging.getLogger("workers.worker")
LOST = (RedisConnectionError, RedisTimeoutError)


class Outage:
    """Remembers that Redis is away, and says so when it starts, then once a minute."""

    def __init__(self, log_every: float = 60.0, clock=time.monotonic):
        self.log_every, self.clock = log_every, clock
        self.since = self.logged_at = None

    def failed(self, error: Exception) -> None:
        now = self.clock()
        if self.since is None:
            self.since = self.logged_at = now
            log.warning("Redis unavailable (%s): waiting for it; work waits in the outbox", error)
        elif now - self.logged_at >= self.log_every:
            self.logged_at = now
            log.warning("Redis still unavailable after %d s (%s): waiting", now - self.since, error)

    def recovered(self) -> None:
        if self.since is not None:
            log.warning("Redis is back after %d s", self.clock() - self.since)
            self.since = self.logged_at = None


def wait_for_redis(connection, outage: Outage, *, stop=lambda: False, first: float = 1.0,
                   longest: float = 30.0, sleep=time.sleep) -> bool:
    """Block until Redis answers PING, trying again after 1, 2, 4 … up to `longest`
    seconds. False if `stop()` turned true first."""
    delay = first
    while not stop():
        try:
            connection.ping()
        except RedisError as error:
            outage.failed(error)
            sleep(delay)
            delay = min(delay * 2, longest)
            continue
        outage.recovered()
        return True
    return False


class SteadyWorker(SimpleWorker):
    """A SimpleWorker (jobs run in this process) that waits out a lost Redis."""

    def __init__(self, *args, outage: Outage, **kwargs):
        super().__init__(*args, **kwargs)
        self.outage = outage

    def _wait(self, error: Exception) -> None:
        self.outage.failed(error)
        wait_for_redis(self.connection, self.outage, stop=lambda: self._stop_requested)

    def heartbeat(self, timeout=None, pipeline=None):
        # First thing RQ does in its wait for a job, and after every job: while Redis is
        # away this waits here, instead of RQ retrying (and logging) every few seconds.
        try:
            return super().heartbeat(timeout, pipeline)
        except LOST as error:
            self._wait(error)
            return super().heartbeat(timeout, pipeline)

    def execute_job(self, job, queue):
        from community.core.logs import current_request_id

        marker = current_request_id.set(f"job:{job.id}")  # on every log line the job writes
        try:
            super().execute_job(job, queue)
        except LOST as error:
            # Redis went away while the job ran or reported its end. What the job did in
            # the database is committed or rolled back whole; a row not done is offered
            # again by the outbox relay. RQ's own record of the job is left as it is.
            log.warning("lost Redis around job %s: %s", job.id, error)
            self._wait(error)
        finally:
            current_request_id.reset(marker)
