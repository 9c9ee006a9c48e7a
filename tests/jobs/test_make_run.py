"""Issue 24: `make run` (workers/devrun.py) stops everything it started — the web server,
the supervised worker and cron scheduler, the worker's children and the embedded Redis.
Started and stopped for real (about 20 s), the way a terminal's Ctrl-C does: SIGINT to
the whole foreground process group."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _up(port: int) -> bool:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).status == 200
    except OSError:
        return False


def test_stopping_make_run_leaves_no_process_behind(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["COMMUNITY_INSTANCE_PATH"] = str(tmp_path)
    log = open(tmp_path / "run.log", "w+")
    launcher = subprocess.Popen([sys.executable, "-m", "workers.devrun", "--port", str(port), "--no-seed"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own group, as a terminal's job
    try:
        deadline = time.monotonic() + 90
        while not _up(port):
            assert launcher.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, "the site did not come up"
            time.sleep(0.3)
        redis_pid = int(re.search(r"pid (\d+)", (tmp_path / "run.log").read_text()).group(1))
        started = [launcher.pid, redis_pid] + [p.pid for p in psutil.Process(launcher.pid).children(recursive=True)]
        names = " ".join(" ".join(psutil.Process(pid).cmdline()) for pid in started)
        for part in ("workers.worker", "workers.cron", "flask", "redis-server"):
            assert part in names
        os.killpg(launcher.pid, signal.SIGINT)  # Ctrl-C
        launcher.wait(60)
        time.sleep(0.2)
        left = [pid for pid in started if psutil.pid_exists(pid)
                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
        assert left == [], [" ".join(psutil.Process(pid).cmdline()) for pid in left]
        assert launcher.returncode == 0
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
        log.close()
