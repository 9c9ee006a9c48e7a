"""Two real scheduler processes (`python -m workers.cron`) on one redis-server: each
periodic job is enqueued once per period, not twice; when the active one is killed
(SIGKILL: no goodbye, its lease left to lapse) the standby carries on after at most the
lease, so the work is delayed, never lost.

Periods and lease are shortened (1 s, lease 2 s) so the test takes seconds.
"""
import signal
import subprocess
import sys
import time

from rq.cron import get_cron_job_ids

from tests.faults.test_worker_killed import ROOT, worker_env


def start_scheduler(env):
    return subprocess.Popen([sys.executable, "-m", "workers.cron"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def relays(client) -> int:
    return len(get_cron_job_ids("outbox-relay", client))


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)  # polling real processes, not a clock under test
    return False


def test_two_schedulers_enqueue_once_and_a_killed_one_is_replaced(app, private_redis):
    env = dict(worker_env(app, private_redis.port), COMMUNITY_OUTBOX_RELAY_SECONDS="1",
               COMMUNITY_SLA_SWEEP_SECONDS="1", COMMUNITY_CRON_LEASE_SECONDS="2")
    client = private_redis.client()
    first = start_scheduler(env)
    assert wait_for(lambda: relays(client) >= 1, 60), first.stderr.read1().decode()
    second = start_scheduler(env)
    try:
        assert wait_for(lambda: len(client.zrange("rq:cron_schedulers", 0, -1)) == 2, 60)
        start, began = relays(client), time.monotonic()
        time.sleep(4)  # four periods with both running
        made, seconds = relays(client) - start, time.monotonic() - began
        assert 2 <= made <= seconds + 1, (made, seconds)  # once a period, not twice

        first.send_signal(signal.SIGKILL)  # the active one (it started first and holds the lease)
        first.wait(timeout=10)
        killed_at = relays(client)
        assert wait_for(lambda: relays(client) >= killed_at + 2, 15)  # the standby took over
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=15)
