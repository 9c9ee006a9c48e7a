"""A running worker process keeps going when Redis is killed and restarted under it
(issue 21, finding 3: "found an unhandled exception, quitting" through the outbox drain
and register_death). Every queued row's work is done, once; the worker waits, logs, and
carries on by itself; SIGTERM still stops it.

A redis-server of the test's own (append-only file on, so its queue survives the
restart, as a production Redis with persistence does) is SIGKILLed while a job of the
worker is in the middle of its work, and started again on the same port.
"""
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.core.extensions import db
from community.outbox import emit, relay_outbox
from community.outbox.models import OutboxRow
from community.tickets.models import TicketEvent
from community.core.timeutil import utcnow
from tests.faults import counting
from tests.faults.test_redis_outage import PrivateRedis
from tests.faults.test_worker_killed import ROOT, worker_env
from tests.factories import file_ticket

ROWS = 30


class PersistentRedis(PrivateRedis):
    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    def options(self) -> list[str]:
        return ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)]

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def persistent_redis(app, tmp_path):
    server = PersistentRedis(tmp_path)
    server.start()
    real = app.extensions["redis"]
    app.extensions["redis"] = server.client()
    yield server
    app.extensions["redis"] = real
    if server.process.poll() is None:
        server.kill()


def done_rows(ids):
    db.session.expire_all()
    return db.session.scalar(select(db.func.count(OutboxRow.id)).where(
        OutboxRow.id.in_(ids), OutboxRow.done_at.is_not(None)))


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)  # polling another process's progress, not a clock under test
    raise AssertionError(f"timed out waiting for {what}")


def test_the_worker_rides_out_a_redis_restart_and_does_every_job_once(app, people, areas,
                                                                       persistent_redis):
    ticket = file_ticket(people, areas, now=utcnow())
    rows = [emit(counting.KIND, f"test:{n}", {"ticket_id": ticket.id, "n": n}, now=utcnow())
            for n in range(ROWS)]
    db.session.flush()
    ids = [row.id for row in rows]
    db.session.commit()  # offered to RQ on commit: one drain job holds them all
    redis = persistent_redis.client(socket_timeout=60)
    worker = subprocess.Popen([sys.executable, "-m", "tests.faults.counting"],
                              env=worker_env(app, persistent_redis.port), cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        assert redis.blpop(["fault:started"], timeout=60), "the held job never started"
        persistent_redis.kill()  # Redis dies under a running job
        # Down until the worker has given up on redis-py's own retries (about ten seconds)
        # and says it waits.
        wait_until(lambda: "Redis unavailable" in "".join(lines) or worker.poll() is not None, 60,
                   "the worker to notice")
        assert worker.poll() is None, "the worker died with Redis:\n" + "".join(lines)[-3000:]
        persistent_redis.start()  # back, with its queue (append-only file)
        wait_until(lambda: "Redis is back" in "".join(lines), 60, "the worker to reconnect")
        # The relay (every worker runs it; here at once, two hours on) offers again the rows
        # whose job died with the connection.
        wait_until(lambda: relay_outbox(utcnow() + timedelta(hours=3)) >= 0 and db.session.commit() is None
                   and done_rows(ids) == ROWS, 90, "every row done")
        assert worker.poll() is None  # the same process did it all
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        reader.join(timeout=10)
    output = "".join(lines)
    assert worker.returncode == 0, output[-3000:]
    assert "Redis unavailable" in output and "Redis is back" in output, output[-3000:]
    notes = Counter(db.session.scalars(select(TicketEvent.note).where(TicketEvent.action == "test_job")))
    assert notes == Counter({f"row {n}": 1 for n in range(ROWS)})  # each job's work once
