"""Serving under gunicorn and driving it: a thread pool of requests.Sessions.

Throughput is measured for a fixed time after a warm-up, latencies one
request at a time (p50/p95 over the samples). RSS is read from /proc.
"""
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
# The platform's own app runs with the settings file a deployment uses (its hooks: the
# workers' start-up heap frozen, community.core.heap); the flags below override its
# sizes. Other apps (the bare one, the django-helpdesk peer) run on gunicorn's defaults.
DEPLOY_CONF = "deploy/gunicorn.conf.py"
PLATFORM_TARGETS = ("wsgi:app", "bench.apps.inapp_app:app")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`gunicorn <target>` with `workers` sync workers, on a free local port."""

    def __init__(self, target: str, env: dict, workers: int = 4, gunicorn: str = GUNICORN,
                 cwd: str | Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = ["-c", DEPLOY_CONF] if target in PLATFORM_TARGETS and (Path(cwd) / DEPLOY_CONF).exists() else []
        self.proc = subprocess.Popen(
            [gunicorn, *conf, "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--timeout", "120",
             "--log-level", "warning", target],
            cwd=str(cwd), env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=open(ROOT / "bench" / ".cache" / f"gunicorn-{target.replace(':', '_')}.log", "w"))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {target} exited; see bench/.cache/gunicorn-*.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn {target} did not start")

    def worker_rss_mb(self) -> float:
        """The largest worker's resident set."""
        out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout.split()
        return round(max(int(x) for x in out) / 1024, 1) if out else 0.0

    def cpu_seconds(self) -> float:
        """CPU time used so far by the workers (user + system), from /proc."""
        pids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                              capture_output=True, text=True).stdout.split()
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def throughput(make_call, clients: int, seconds: float, warmup_calls: int = 3,
               on_open=None) -> dict:
    """Run `make_call(i)()` in `clients` threads: a few untimed calls each (imports,
    connection pools), then count the 2xx answers in a window of `seconds`."""
    counts, errors, lock = [0], [0], threading.Lock()
    samples = []
    window = {}

    def open_window():  # runs once, when every client has warmed up
        if on_open:
            on_open()
        window["start"] = time.monotonic()
        window["stop"] = window["start"] + seconds

    ready = threading.Barrier(clients + 1, action=open_window)

    def loop(i):
        call = make_call(i)
        for _ in range(warmup_calls):
            call()
        ready.wait()
        start_at, stop_at = window["start"], window["stop"]
        while True:
            t0 = time.monotonic()
            if t0 >= stop_at:
                return
            ok = call()
            t1 = time.monotonic()
            if t1 <= stop_at and t0 >= start_at:
                with lock:
                    if ok:
                        counts[0] += 1
                        samples.append(t1 - t0)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    for t in threads:
        t.join()
    return {"per_second": round(counts[0] / seconds, 1), "ok": counts[0], "errors": errors[0],
            "p95_ms": _p95(samples)}


def latency(call, samples: int, warmup: int = 3) -> dict:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        if not call():
            raise RuntimeError("a latency sample failed")
        times.append(time.perf_counter() - t0)
    return {"p50_ms": round(statistics.median(times) * 1000, 1), "p95_ms": _p95(times),
            "samples": samples}


def _p95(times):
    if not times:
        return None
    ordered = sorted(times)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1)


def login(base: str, username: str, password: str, timeout: float = 30) -> requests.Session:
    """A signed-in browser session (the login form with its CSRF token)."""
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=timeout)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    response = session.post(f"{base}/login", data={
        "login": username, "password": password, "csrf_token": token.group(1) if token else ""},
        allow_redirects=False, timeout=timeout)
    if response.status_code not in (302, 303):
        raise RuntimeError(f"sign-in as {username} failed ({response.status_code})")
    return session
