"""The worker's wait for Redis (workers/steady.py): backs off, logs once a minute, and
returns as soon as Redis answers; the supervisor of `make run` restarts a dead process."""
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.faults.test_redis_outage import PrivateRedis
from workers.steady import Outage, wait_for_redis


class FakeTime:
    """The wait's clock and sleep, moved by the wait itself: no real waiting."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_waits_with_backoff_and_logs_a_line_each_minute(caplog):
    server = PrivateRedis()  # a port nobody listens on: Redis is away
    fake = FakeTime()
    outage = Outage(clock=lambda: fake.now)
    # No retries of redis-py's own (ten, over seconds) before each refusal counts.
    connection = redis.Redis(port=server.port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    caplog.set_level(logging.WARNING, logger="workers.worker")
    ten_minutes = lambda: fake.now >= 600  # noqa: E731
    assert wait_for_redis(connection, outage, stop=ten_minutes, sleep=fake.sleep) is False
    assert fake.sleeps[:6] == [1, 2, 4, 8, 16, 30] and set(fake.sleeps[5:]) == {30}
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("Redis unavailable")
    assert 9 <= len(lines) <= 11 and all("still unavailable" in line for line in lines[1:])
    server.start()  # Redis is back
    try:
        assert wait_for_redis(connection, outage, sleep=fake.sleep) is True
        assert caplog.records[-1].getMessage().startswith("Redis is back after 60")
    finally:
        server.stop()


def test_the_supervisor_restarts_a_process_that_dies(tmp_path):
    starts = tmp_path / "starts"
    child = ("import os, sys, time; from pathlib import Path; p = Path(sys.argv[1]); "
             "p.write_text(p.read_text() + 'x' if p.exists() else 'x'); "
             "time.sleep(0.2) if len(p.read_text()) < 3 else time.sleep(60); sys.exit(1)")
    supervisor = subprocess.Popen([sys.executable, "-m", "workers.supervise", "--name", "test",
                                   "--first-delay", "0.05", "--", sys.executable, "-c", child, str(starts)],
                                  cwd=Path(__file__).resolve().parents[2], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not starts.exists() or len(starts.read_text()) < 3):
        time.sleep(0.05)  # another process's progress, not a clock under test
    assert starts.read_text() == "xxx"  # died twice, started again each time
    supervisor.terminate()  # passed on to the child, then the supervisor ends
    assert supervisor.wait(timeout=10) == 0
    assert supervisor.stderr.read().count("exited with 1; starting it again") == 2


@pytest.mark.parametrize("argv", [[], ["--"]])
def test_the_supervisor_needs_a_command(argv):
    answer = subprocess.run([sys.executable, "-m", "workers.supervise", *argv], capture_output=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert answer.returncode == 2
