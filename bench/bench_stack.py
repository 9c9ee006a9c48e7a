"""The request stack every API call pays (issue 30, first row), measured so it repeats.

    python -m bench.bench_stack [--rounds 4] [--seconds 6] [--client python|wrk]
                                [--profile] [--instructions] [--base DIR] [--no-server]

1. In process (no server; independent of the machine's load): Python function calls, SQL
   statements, transaction ends and Redis round trips per request, in-app
   (bench/apps/inapp_app.py at inapp_app.PATH: the platform's hooks, bearer token, the
   API's two limits, then one INSERT) and bare (bench/apps/bare_app.py: the same INSERT
   in a bare Flask app), through Flask's test client. `--profile` prints the in-app
   request's top functions (cProfile on the CPU clock); `--instructions` counts
   instructions per request under valgrind's callgrind (a few minutes).
2. Under gunicorn (4 sync workers, 8 client threads, as bench/figures.bare_throughput):
   the workers' CPU milliseconds per answered request, read from /proc/<pid>/stat
   (utime + stime) around each window, and the throughput. The servers stay up and the
   rounds rotate which one is loaded first; ratios are in-app ÷ bare of the same round.
   `--base DIR` adds a third server: the in-app route on another checkout's code (e.g.
   `git archive main | tar -x -C DIR`, then this bench/ copied in), for before/after
   in one run.

Its own database (BENCH_STACK_URL, default bench_stack on the local PostgreSQL: made,
migrated and given a user with tokens here if needed) and Redis db (BENCH_STACK_REDIS,
default db 8). The table bench_bare is made at start and dropped at the end
(`--keep-table` leaves it, for a run beside another).
"""
import argparse
import contextlib
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

from bench.apps import bare_app
from bench.httpbench import ROOT, Server, throughput

URL = os.environ.get("BENCH_STACK_URL", "postgresql://postgres@127.0.0.1:5432/bench_stack")
REDIS = os.environ.get("BENCH_STACK_REDIS", "redis://127.0.0.1:6379/8")
UNLIMITED = {"COMMUNITY_API_RATE": "1000000 per minute", "COMMUNITY_API_IP_RATE": "1000000 per minute",
             "COMMUNITY_API_FILING_RATE": "1000000 per minute", "SECRET_KEY": "bench-secret"}
BODY = {"kind": "help", "category": "UTL", "text": "楼道灯坏了，晚上看不见，请尽快维修。",
        "community": "C01", "address": "1号楼2单元"}
USERNAME = "bench-stack"
PATHS = {False: "/file", True: "/api/bench/file"}  # bare, in-app (inapp_app.PATH)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def app_env() -> dict:
    return {"DATABASE_URL": URL, "REDIS_URL": REDIS, **UNLIMITED}


# -- the database -----------------------------------------------------------------------

def prepare(clients: int) -> list[str]:
    """Make and migrate the database if it is new; a staff user with one token per client."""
    base, name = URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            log(f"creating {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(URL, autocommit=True) as conn:
        migrated = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()[0]
    if not migrated:
        log("migrating the benchmark's database")
        subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
                       cwd=ROOT, env={**os.environ, **app_env()}, check=True,
                       stdout=subprocess.DEVNULL)
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(bare_app.CREATE)
    os.environ.update(app_env())
    from community import create_app
    from community.api.tokens import create_token
    from community.auth.models import Role, User
    from community.core.extensions import db
    from community.core.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": URL.replace("postgresql://", "postgresql+psycopg://", 1)})
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == USERNAME))
        if user is None:
            user = User(username=USERNAME, name="bench", password_hash="!", role=Role.ADMIN,
                        created_at=utcnow())
            db.session.add(user)
            db.session.flush()
        secrets = [create_token(user, utcnow(), name="bench-stack")[1] for _ in range(clients)]
        db.session.commit()
    return secrets


def drop_table() -> None:
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare")


# -- in process: calls, statements, round trips ----------------------------------------------

class Counts:
    """SQL statements and transaction ends (SQLAlchemy's engine events, every engine) and
    Redis round trips (each packed send of redis-py: a pipeline is one)."""

    def __init__(self):
        import redis.connection
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.sql = self.ends = self.redis = 0

        def statement(*_args):
            self.sql += 1

        def ended(*_args):
            self.ends += 1

        event.listen(Engine, "before_cursor_execute", statement)
        event.listen(Engine, "commit", ended)
        event.listen(Engine, "rollback", ended)
        send = redis.connection.AbstractConnection.send_packed_command

        def counted(connection, command, check_health=True):
            self.redis += 1
            return send(connection, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = counted

    def snapshot(self):
        return self.sql, self.ends, self.redis


def in_process(secret: str, n: int, profile: bool) -> dict:
    """Per request of each app, through the test client (after a warm-up)."""
    os.environ.update(app_env())
    counts = Counts()
    from bench.apps import inapp_app

    out = {}
    for name, app, path, headers in (
            ("bare", bare_app.app, "/file", {}),
            ("inapp", inapp_app.app, inapp_app.PATH, {"Authorization": f"Bearer {secret}"})):
        client = app.test_client()
        for _ in range(20):
            response = client.post(path, json=BODY, headers=headers)
            assert response.status_code == 201, (response.status_code, response.get_data(as_text=True))
        before = counts.snapshot()
        profiler = cProfile.Profile(time.process_time)  # CPU, not wall: the load does not count
        profiler.enable()
        for _ in range(n):
            client.post(path, json=BODY, headers=headers)
        profiler.disable()
        after = counts.snapshot()
        stats = pstats.Stats(profiler)
        # The test client's own calls are in both; the difference is the stack's.
        out[name] = {"calls": round(stats.total_calls / n),
                     "sql": (after[0] - before[0]) / n, "tx_ends": (after[1] - before[1]) / n,
                     "redis": (after[2] - before[2]) / n}
        if profile and name == "inapp":
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
    response = inapp_app.app.test_client().post(inapp_app.PATH, json=BODY,
                                                 headers={"Authorization": f"Bearer {secret}"})
    out["inapp_headers"] = sorted(k for k in response.headers.keys() if k.startswith("X-RateLimit"))
    return out


# -- instructions (valgrind's callgrind): the same loops, counted by the CPU's work -----------

def instructions(secret: str, n: int) -> dict:
    """Instructions per request of each app: this script again under callgrind, which
    zeroes its counters before each app's loop and dumps them after (callgrind_control)."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/cg.%p.out",
                        sys.executable, "-m", "bench.bench_stack", "--callgrind-child", secret, "--calls", str(n)],
                       cwd=ROOT, env={**os.environ, **app_env()}, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dumps = sorted(Path(folder).glob("cg.*.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
        counts = [int(next(line for line in d.read_text().splitlines() if line.startswith("summary:")).split()[1])
                  for d in dumps]
    out = {name: round(count / n) for name, count in zip(("bare", "inapp"), counts)}
    out["ratio"] = round(out["inapp"] / out["bare"], 3)
    return out


def callgrind_child(secret: str, n: int) -> None:
    import logging

    from bench.apps import inapp_app

    logging.getLogger().handlers[0].stream = open(os.devnull, "w")  # noqa: SIM115 - for the process's life
    pid = str(os.getpid())
    for app, path, headers in ((bare_app.app, "/file", {}),
                               (inapp_app.app, inapp_app.PATH, {"Authorization": f"Bearer {secret}"})):
        client = app.test_client()
        for _ in range(20):
            client.post(path, json=BODY, headers=headers)
        subprocess.run(["callgrind_control", "-z", pid], stdout=subprocess.DEVNULL, check=True)
        for _ in range(n):
            assert client.post(path, json=BODY, headers=headers).status_code == 201
        subprocess.run(["callgrind_control", "-d", pid], stdout=subprocess.DEVNULL, check=True)


# -- under gunicorn ---------------------------------------------------------------------------

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = %s
wrk.headers["Content-Type"] = "application/json"
%s
"""


def python_window(server: Server, tokens, clients: int, seconds: float) -> dict:
    def make(i):
        session = requests.Session()
        if tokens[i % len(tokens)]:
            session.headers["Authorization"] = f"Bearer {tokens[i % len(tokens)]}"
        return lambda: session.post(server.url + PATHS[bool(tokens[0])], json=BODY, timeout=60).status_code == 201

    before = []
    result = throughput(make, clients, seconds, on_open=lambda: before.append(server.cpu_seconds()))
    result["cpu_ms"] = round((server.cpu_seconds() - before[0]) * 1000 / result["ok"], 3) if result["ok"] else None
    return result


def wrk_window(server: Server, token, clients: int, seconds: float) -> dict:
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (json.dumps(json.dumps(BODY, ensure_ascii=False)), auth))
    try:
        before = server.cpu_seconds()
        out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "-s", script.name,
                              server.url + PATHS[bool(token)]], capture_output=True, text=True, check=True).stdout
        used = server.cpu_seconds() - before
    finally:
        os.unlink(script.name)
    answered = int(next(line for line in out.splitlines() if "requests in" in line).split()[0])
    bad = sum(int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line)
    ok = answered - bad
    return {"per_second": round(ok / seconds, 1), "ok": ok, "errors": bad,
            "cpu_ms": round(used * 1000 / ok, 3) if ok else None}


def under_gunicorn(tokens, rounds: int, seconds: float, clients: int, workers: int, client: str,
                   base: str | None = None) -> dict:
    (ROOT / "bench" / ".cache").mkdir(exist_ok=True)
    rows = {"bare": [], "inapp": []}
    with contextlib.ExitStack() as stack:
        servers = {"bare": (stack.enter_context(Server("bench.apps.bare_app:app", {"DATABASE_URL": URL}, workers)),
                            [None]),
                   "inapp": (stack.enter_context(Server("bench.apps.inapp_app:app", app_env(), workers)), tokens)}
        if base:  # the same in-app route on another checkout's code (before/after in one run)
            servers["base"] = (stack.enter_context(Server("bench.apps.inapp_app:app", app_env(), workers,
                                                          cwd=base)), tokens)
            rows["base"] = []
        for name, (server, keys) in servers.items():  # warm every worker: imports, pools
            python_window(server, keys, clients, 1.0)
        names = list(servers)
        for number in range(rounds):
            order = names[number % len(names):] + names[:number % len(names)]
            for name in order:
                server, keys = servers[name]
                if client == "wrk":
                    result = wrk_window(server, keys[0], clients, seconds)
                else:
                    result = python_window(server, keys, clients, seconds)
                result["load"] = load()
                rows[name].append(result)
                log(f"round {number + 1} {name}: {result['per_second']}/s, {result['cpu_ms']} ms CPU, "
                    f"errors {result['errors']}, load {result['load']}")
    out = {"rounds": rows, "median": {}}
    for name in rows:
        out["median"][f"{name}_cpu_ms"] = statistics.median(r["cpu_ms"] for r in rows[name])
        if name == "bare":
            continue
        ratios = [(i["per_second"] / b["per_second"], i["cpu_ms"] / b["cpu_ms"])
                  for b, i in zip(rows["bare"], rows[name])]
        out[f"{name}_throughput_ratio"] = [round(r[0], 3) for r in ratios]
        out[f"{name}_cpu_ratio"] = [round(r[1], 3) for r in ratios]
        out["median"][f"{name}_throughput_ratio"] = round(statistics.median(r[0] for r in ratios), 3)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.bench_stack")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--client", choices=("python", "wrk"), default="python")
    parser.add_argument("--calls", type=int, default=300, help="requests counted in process")
    parser.add_argument("--profile", action="store_true", help="print the in-app request's profile")
    parser.add_argument("--no-server", action="store_true", help="the in-process counts only")
    parser.add_argument("--keep-table", action="store_true", help="leave bench_bare (another run uses it)")
    parser.add_argument("--base", help="a checkout of other code (e.g. `git archive` of main, with this "
                                       "bench/): its in-app route is measured in the same rounds")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions per request under valgrind (minutes)")
    parser.add_argument("--callgrind-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.callgrind_child:
        return callgrind_child(args.callgrind_child, args.calls)
    tokens = prepare(args.clients)
    try:
        result = {"load_at_start": load(), "in_process": in_process(tokens[0], args.calls, args.profile)}
        log(f"in process: {result['in_process']}")
        if args.instructions:
            result["instructions"] = instructions(tokens[0], min(args.calls, 60))
            log(f"instructions per request: {result['instructions']}")
        if not args.no_server:
            result["gunicorn"] = under_gunicorn(tokens, args.rounds, args.seconds, args.clients,
                                                args.workers, args.client, args.base)
        result["load_at_end"] = load()
    finally:
        if not args.keep_table:
            drop_table()
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return result


if __name__ == "__main__":
    main()
