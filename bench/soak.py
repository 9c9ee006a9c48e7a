"""Soak run: mixed traffic at a steady rate against gunicorn on PostgreSQL and Redis.

    make soak                              # 10 minutes at 100 requests/s
    SOAK_SECONDS=120 make soak             # shorter

What it does, on loopback only:
1. recreates the database `soak` (SOAK_DATABASE_URL), migrates it and loads the
   demo accounts (`seed-demo --tickets 50`);
2. starts gunicorn (SOAK_WORKERS processes) and one RQ worker, both with
   COMMUNITY_DB_APPLICATION_NAME=community-soak;
3. sends SOAK_RATE requests a second, open loop (a request's start time is
   fixed in advance, so a slow server cannot slow the load down), mixed:
   residents filing (form page + post) and reading their list, anonymous
   tracking look-ups, staff queue and request pages, handling actions
   (accept, respond, resolve), and the public/dashboard pages that exist;
4. runs `flask --app wsgi sla sweep` every minute (skipped, and said so, when
   the command does not exist);
5. at SOAK_PG_KILL_AT seconds (default: half-way; 0 for never) terminates the
   app's PostgreSQL backends, as a database restart would look to the app,
   without touching anyone else's connections (found by application_name);
6. prints the figures: answers by status, p50/p95/p99 per kind, achieved rate,
   and checks: no 500s (503s are allowed only in the seconds after the kill),
   and the requests in the database equal the number filed (by submit token).

Rate limits are raised for this run: all traffic comes from one address.
Exit status 1 when a check fails. Figures also go to instance/soak-last.json.
"""
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SECONDS = int(os.environ.get("SOAK_SECONDS", 600))
RATE = float(os.environ.get("SOAK_RATE", 100))
WORKERS = int(os.environ.get("SOAK_WORKERS", 4))
DATABASE_URL = os.environ.get("SOAK_DATABASE_URL", "postgresql://127.0.0.1:5432/soak")
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/6")
KILL_AT = float(os.environ.get("SOAK_PG_KILL_AT", SECONDS / 2))
SWEEP_EVERY = int(os.environ.get("SOAK_SWEEP_SECONDS", 60))
APP_NAME = "community-soak"
PASSWORD = "demo-password"
FILERS = ["13800000001", "13800000013", "13800000025", "13800000037"]  # home: community1
# Share of the traffic, by kind (each "file" is two requests: the form, then the post).
MIX = {"track": 30, "file": 12, "my": 8, "queue": 12, "ticket": 12, "act": 10, "dashboard": 16}
SESSIONS_PER_ROLE = 4
MAX_BACKLOG = 200  # tasks started but not finished; past this the run notes a skip
DASHBOARD_CANDIDATES = ["/public", "/public/", "/stats", "/stats/", "/dashboard", "/dashboards"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment() -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
        "SECRET_KEY": env.get("SECRET_KEY") or os.urandom(16).hex(),
        "COMMUNITY_DB_APPLICATION_NAME": APP_NAME,
        "COMMUNITY_UPLOAD_DIR": tempfile.mkdtemp(prefix="soak-uploads-"),
        "COMMUNITY_LOGIN_RATE": "100000 per minute", "COMMUNITY_TRACKING_RATE": "100000 per minute",
        "COMMUNITY_FILING_RATE": "100000 per hour", "COMMUNITY_API_RATE": "100000 per minute",
        "COMMUNITY_API_IP_RATE": "100000 per minute",
    })
    return env


def admin_connection(dbname: str | None = None):
    url = DATABASE_URL if dbname is None else DATABASE_URL.rsplit("/", 1)[0] + "/" + dbname
    return psycopg.connect(url, autocommit=True, application_name="community-soak-admin")


def prepare_database(env):
    name = DATABASE_URL.rsplit("/", 1)[1]
    assert name == "soak" or os.environ.get("SOAK_DATABASE_URL"), "only the soak database is dropped"
    with admin_connection("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade", "heads"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(flask + ["seed-demo", "--tickets", "50"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    import redis
    redis.Redis.from_url(REDIS_URL).flushdb()  # no queue or limiter state from an earlier run


def start_server(env, port):
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(WORKERS), "-k", "gthread", "--threads", "4",
         "-b", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5",
         "--keep-alive", "30",  # longer than the load's idle gaps: no reset-on-reuse race
         "--log-level", "warning", "wsgi:app"], env=env, cwd=ROOT)
    worker = subprocess.Popen([str(BIN / "python"), "-m", "workers.worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(base + "/login", timeout=30).status_code == 200:
                return server, worker, base
        except requests.RequestException:
            time.sleep(0.5)
    stop_processes(server, worker)
    raise SystemExit("gunicorn did not answer")


def stop_processes(*processes):
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def new_session():
    """A client that retries a GET whose kept-alive connection the server had just closed
    (a race between the client's pool and gunicorn's keep-alive timeout, not a failure)."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"},
                  raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=16))
    return session


def signed_in(base, login):
    session = new_session()
    page = session.get(base + "/login", timeout=10)
    answer = session.post(base + "/login", data={"csrf_token": csrf(page.text), "login": login,
                                                  "password": PASSWORD}, allow_redirects=False,
                          timeout=10)
    assert answer.status_code == 302, (login, answer.status_code)
    session.token = csrf(session.get(base + "/login", timeout=10).text)
    return session


class Load:
    def __init__(self, base, units):
        self.base, self.units = base, units
        self.lock = threading.Lock()
        self.results = []           # (kind, status, seconds, started_at)
        self.codes, self.ticket_ids = [], []
        self.filed_tokens, self.refused_tokens = set(), set()
        self.sessions = {}
        self.skipped = 0
        self.failures = Counter()
        self.dashboards = []

    def session(self, role):
        """One of a few signed-in sessions per role, shared by the load threads."""
        with self.lock:
            pool = self.sessions.setdefault(role, [])
            if len(pool) >= SESSIONS_PER_ROLE:
                return random.choice(pool)
        session = new_session() if role == "anonymous" else signed_in(self.base, role)
        with self.lock:
            pool.append(session)
        return session

    def timed(self, kind, call):
        start = time.perf_counter()
        try:
            response = call()
            status = response.status_code
        except requests.RequestException as exc:
            response, status = None, 0  # no answer at all: counted, never hidden
            with self.lock:
                self.failures[f"{kind}: {type(exc).__name__}: {str(exc)[-60:]}"] += 1
        with self.lock:
            self.results.append((kind, status, time.perf_counter() - start, time.time()))
        return response

    def file(self, rng):
        s = self.session(rng.choice(FILERS))
        page = self.timed("file_form", lambda: s.get(self.base + "/", timeout=30))
        if page is None or page.status_code != 200:
            return
        token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', page.text).group(1)
        data = {"csrf_token": csrf(page.text), "submit_token": token, "kind": "help",
                "category": rng.choice(["ELD", "UTL", "LIF", "GOV"]), "text": "楼道灯坏了，请尽快修理。",
                "community": self.units["community"], "grid": self.units["grid"]}
        for _attempt in range(3):  # a resident who sees an error presses again, same form
            answer = self.timed("file_post", lambda: s.post(self.base + "/", data=data,
                                                            allow_redirects=False, timeout=30))
            if answer is not None and answer.status_code == 302:
                code = answer.headers["Location"].rsplit("/t/", 1)[-1]
                with self.lock:
                    self.codes.append(code)
                    self.filed_tokens.add(token)
                return
            if answer is not None and answer.status_code < 500:
                break
        with self.lock:
            self.refused_tokens.add(token)

    def track(self, rng):
        code = rng.choice(self.codes) if self.codes else "0000000000000000"
        s = self.session("anonymous")
        self.timed("track", lambda: s.get(f"{self.base}/t/{code}", timeout=30))

    def my(self, rng):
        s = self.session(rng.choice(FILERS))
        self.timed("my", lambda: s.get(self.base + "/my", timeout=30))

    def queue(self, rng):
        s = self.session("grid1")
        page = self.timed("queue", lambda: s.get(self.base + "/work", timeout=30))
        if page is not None and page.status_code == 200:
            ids = [int(i) for i in re.findall(r"/work/tickets/(\d+)", page.text)]
            with self.lock:
                self.ticket_ids = ids or self.ticket_ids

    def ticket(self, rng):
        if not self.ticket_ids:
            return self.queue(rng)
        s = self.session(rng.choice(["grid1", "community1"]))
        tid = rng.choice(self.ticket_ids)
        self.timed("ticket", lambda: s.get(f"{self.base}/work/tickets/{tid}", timeout=30))

    def act(self, rng):
        if not self.ticket_ids:
            return self.queue(rng)
        s = self.session("grid1")
        tid = rng.choice(self.ticket_ids)
        action, data = rng.choice([("accept", {}), ("respond", {"text": "已联系物业。"}),
                                   ("resolve", {"result": "solved", "note": "已修好。"})])
        data["csrf_token"] = s.token
        # 409 (someone else changed it) and 4xx (not in this state) are normal answers here.
        self.timed("act", lambda: s.post(f"{self.base}/work/tickets/{tid}/{action}", data=data,
                                         allow_redirects=False, timeout=30))

    def dashboard(self, rng):
        if not self.dashboards:
            return self.track(rng)
        path = rng.choice(self.dashboards)
        s = self.session("anonymous")
        self.timed("dashboard", lambda: s.get(self.base + path, timeout=30))


def find_dashboards(base):
    found = []
    for path in os.environ.get("SOAK_DASHBOARDS", " ".join(DASHBOARD_CANDIDATES)).split():
        try:
            if requests.get(base + path, timeout=10).status_code == 200:
                found.append(path)
        except requests.RequestException:
            pass
    return found


def sweeper(env, stop, log):
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    has_sweep = subprocess.run(flask + ["sla", "sweep", "--help"], env=env, cwd=ROOT,
                               capture_output=True).returncode == 0
    if not has_sweep:
        log.append("sweep skipped: this checkout has no `flask sla sweep` command")
        return
    while not stop.wait(SWEEP_EVERY):
        start = time.perf_counter()
        done = subprocess.run(flask + ["sla", "sweep"], env=env, cwd=ROOT, capture_output=True,
                              text=True)
        log.append(f"sweep rc={done.returncode} in {time.perf_counter() - start:.1f}s: "
                   f"{(done.stdout or done.stderr).strip().splitlines()[-1:]}")


def kill_backends(log):
    with admin_connection() as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND application_name = %s",
                            (APP_NAME,)).fetchall()
    log.append(f"terminated {len(rows)} backends of {APP_NAME} at {time.strftime('%H:%M:%S')}")
    return time.time()


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def drive(load, log):
    rng = random.Random(20261126)
    kinds = [k for k, w in MIX.items() for _ in range(w)]
    total = int(SECONDS * RATE / 1.1)  # a filing is two requests: ~1.1 requests per task
    start = time.time()
    kill_time = None
    in_flight = threading.Semaphore(MAX_BACKLOG)
    with ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(total):
            due = start + i * 1.1 / RATE
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            if KILL_AT and kill_time is None and time.time() - start >= KILL_AT:
                kill_time = kill_backends(log)
            kind = rng.choice(kinds)
            if not in_flight.acquire(blocking=False):
                load.skipped += 1  # the server is this far behind: say so, do not pile up
                continue
            future = pool.submit(getattr(load, kind), random.Random(rng.random()))
            future.add_done_callback(lambda _f: in_flight.release())
    return start, time.time(), kill_time


def count_in_database(tokens):
    with admin_connection() as conn:
        stored = {row[0] for row in conn.execute(
            "SELECT submit_token FROM tickets WHERE submit_token = ANY(%s)", (list(tokens),))}
    return stored


def report(load, start, end, kill_time, log):
    results = load.results
    statuses = Counter(status for _k, status, _s, _t in results)
    by_kind = defaultdict(list)
    for kind, status, seconds, _t in results:
        by_kind[kind].append(seconds)
    after_kill = lambda t: kill_time is not None and kill_time <= t <= kill_time + 10  # noqa: E731
    bad = [(k, s) for k, s, _x, t in results if s >= 500 and not (s == 503 and after_kill(t))]
    clean_503 = sum(1 for _k, s, _x, t in results if s == 503 and after_kill(t))
    no_answer = statuses.get(0, 0)
    tokens = load.filed_tokens | load.refused_tokens
    stored = count_in_database(tokens) if tokens else set()
    lost_or_extra = (stored ^ load.filed_tokens)
    figures = {
        "seconds": round(end - start, 1), "target_rate": RATE, "requests": len(results),
        "achieved_rate": round(len(results) / max(end - start, 1e-9), 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(1000 * statistics.median([s for _k, _x, s, _t in results]), 1),
        "p95_ms": round(1000 * percentile([s for _k, _x, s, _t in results], 0.95), 1),
        "p99_ms": round(1000 * percentile([s for _k, _x, s, _t in results], 0.99), 1),
        "per_kind": {k: {"n": len(v), "p50_ms": round(1000 * statistics.median(v), 1),
                         "p95_ms": round(1000 * percentile(v, 0.95), 1)}
                     for k, v in sorted(by_kind.items())},
        "filed": len(load.filed_tokens), "in_database": len(stored & load.filed_tokens),
        "refused_filings": len(load.refused_tokens),
        "refused_but_stored": len(stored & load.refused_tokens),
        "server_errors": len(bad), "clean_503_after_kill": clean_503, "no_answer": no_answer,
        "skipped_backlog": load.skipped, "no_answer_by_kind": dict(load.failures),
        "dashboards": load.dashboards, "log": log,
    }
    ok = not bad and not lost_or_extra and no_answer == 0 and not load.refused_tokens
    figures["ok"] = ok
    (ROOT / "instance").mkdir(exist_ok=True)
    (ROOT / "instance" / "soak-last.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    print("SOAK", "PASSED" if ok else "FAILED",
          f"- {figures['requests']} requests in {figures['seconds']}s "
          f"({figures['achieved_rate']}/s), p95 {figures['p95_ms']} ms, "
          f"5xx {len(bad)} (+{clean_503} clean 503 after the kill), "
          f"filed {figures['filed']} = in database {figures['in_database']}")
    return ok


def main():
    if shutil.which("pg_isready") and subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-q"]).returncode != 0:
        raise SystemExit("PostgreSQL is not answering on 127.0.0.1")
    env = environment()
    print(f"soak: {SECONDS}s at {RATE}/s; preparing the database …", flush=True)
    prepare_database(env)
    server, worker, base = start_server(env, free_port())
    log, stop = [], threading.Event()
    try:
        with admin_connection() as conn:
            grid, community = conn.execute(
                "SELECT u.unit_id, g.community_id FROM users u JOIN units g ON g.id = u.unit_id "
                "WHERE u.username = 'grid1'").fetchone()
        load = Load(base, {"grid": str(grid), "community": str(community)})
        load.dashboards = find_dashboards(base)
        sweep = threading.Thread(target=sweeper, args=(env, stop, log), daemon=True)
        sweep.start()
        start, end, kill_time = drive(load, log)
        stop.set()
        sweep.join(timeout=120)
        ok = report(load, start, end, kill_time, log)
    finally:
        stop.set()
        stop_processes(server, worker)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
