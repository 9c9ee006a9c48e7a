"""The API filing's own cost (issue 30): CPU per POST /api/v1/requests, in process and
under gunicorn, for one tree or two compared.

    python -m bench.bench_filing                          # this tree, on bench_filing
    python -m bench.bench_filing /work/old /work/new      # trees compared, rounds alternated
    python -m bench.bench_filing --profile                # the top of a filing's profile
    python -m bench.bench_filing --gunicorn               # the workers' CPU per filing, from /proc
    python -m bench.bench_filing --city bench_50k         # on the shared city (read, rows removed after)

In process: each tree runs in a child process of its own (PYTHONPATH = the tree) that
files REQUESTS requests through the test client with a resident's API token and times
each with the process's CPU clock, so a busy machine weighs little. Printed beside the
median: SQL statements, Redis round trips and Python function calls per filing, which do
not depend on the load at all.

The database is bench_filing on the local PostgreSQL (created, migrated and seeded with
the demo county on first use), or with --city a shared generated city, which is never
migrated: the rows filed are removed afterwards by id marks (bench.city.cities).
Redis is db 12 (BENCH_FILING_REDIS_URL).
"""
import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("BENCH_FILING_REDIS_URL", "redis://127.0.0.1:6379/12")
HOST = "127.0.0.1"
UNLIMITED = {name: "1000000 per minute" for name in (
    "COMMUNITY_LOGIN_RATE", "COMMUNITY_FILING_RATE", "COMMUNITY_TRACKING_RATE", "COMMUNITY_API_RATE",
    "COMMUNITY_API_IP_RATE", "COMMUNITY_API_FILING_RATE")}
CATEGORIES = ("UTL", "ENV", "PRP", "LIF", "MED", "ELD")
TEXT = "楼道灯坏了，晚上看不见台阶，请尽快修理。"


def _url(name: str) -> str:
    return f"postgresql://{HOST}:5432/{name}"


def _ensure_own_database(name: str, tree: Path) -> None:
    """bench_filing: created, migrated and seeded once (never a shared city)."""
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    env = _env(name)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"],):
        subprocess.run(flask + args, cwd=tree, env=env, check=True, capture_output=True)
    with psycopg.connect(_url(name)) as conn:
        seeded = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    if not seeded:
        subprocess.run(flask + ["seed-demo", "--tickets", "300"], cwd=tree, env=env, check=True,
                       capture_output=True)


def _env(database: str, tree: Path | None = None) -> dict:
    env = {**os.environ, **UNLIMITED, "DATABASE_URL": _url(database), "REDIS_URL": REDIS,
           "SECRET_KEY": "bench-filing", "FLASK_DEBUG": "0"}
    env.pop("COMMUNITY_ENV", None)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def _clients(app, count: int):
    """(token, body) for `count` residents, each filing in their home community."""
    from sqlalchemy import text

    from community.api.tokens import create_token
    from community.auth.models import User
    from community.core.extensions import db
    from community.core.timeutil import utcnow

    out = []
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT u.id, c.code FROM users u JOIN units c ON c.id = u.home_community_id "
            "WHERE u.role = 'resident' AND u.active ORDER BY u.id LIMIT :n"), {"n": count}).all()
        for number, (user_id, community) in enumerate(rows):
            _row, secret = create_token(db.session.get(User, user_id), utcnow(), name="bench-filing")
            out.append((secret, {"kind": "help", "category": CATEGORIES[number % len(CATEGORIES)],
                                 "text": TEXT, "community": community, "address": "1号楼2单元"}))
        db.session.commit()
    return out


def _count_redis():
    """Redis round trips: every packed command sent (a pipeline is one)."""
    from redis.connection import Connection

    sent = [0]
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent[0] += 1
        return original(self, command, check_health)
    Connection.send_packed_command = counting
    return sent


def measure(requests: int, profile_top: int) -> dict:
    """One round in this process: CPU ms per filing, and the load-free counts."""
    from sqlalchemy import event

    from community import create_app

    app = create_app()
    app.config.update(TESTING=False)
    clients = _clients(app, 10)
    client = app.test_client()
    turn = [0]

    def call():
        token, body = clients[turn[0] % len(clients)]
        turn[0] += 1
        answer = client.post("/api/v1/requests", json=body, headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 201:
            raise SystemExit(f"{answer.status_code} {answer.get_data(as_text=True)[-1500:]}")

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    sent = _count_redis()
    for _ in range(2 * len(clients)):
        call()  # warm: imports, caches, the pool, each token's first use (it notes last_used_at)
    # The counts of one filing (the first category, which names no department).
    statements.clear()
    sent[0] = 0
    profile = cProfile.Profile()
    profile.runcall(call)
    counts = {"statements": len(statements), "sql": statements[:], "redis": sent[0],
              "calls": pstats.Stats(profile).total_calls}
    out = {**counts, "top": ""}
    if profile_top:
        profile = cProfile.Profile(time.process_time)  # CPU, not the wait for the server
        for _ in range(20):
            profile.runcall(call)
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text)
        stats.sort_stats("cumulative").print_stats(profile_top)
        stats.sort_stats("tottime").print_stats(profile_top)
        out["top"] = text.getvalue()
    spent = []
    for _ in range(requests):
        start = time.process_time()
        call()
        spent.append((time.process_time() - start) * 1000)
    out["ms"] = spent
    return out


def _child(tree: Path, database: str, requests: int, profile_top: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(requests), str(profile_top)], cwd=tree,
                          env=_env(database, tree), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def gunicorn_cpu(tree: Path, database: str, seconds: float, clients: int, workers: int) -> dict:
    """Filings/s and the workers' CPU ms per filing (from /proc) under gunicorn."""
    sys.path.insert(0, str(tree))
    import requests as http

    from bench.figures import measured
    from bench.httpbench import Server

    env = _env(database, tree)
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    from community import create_app

    pairs = _clients(create_app(), clients)
    (tree / "bench" / ".cache").mkdir(exist_ok=True)  # gunicorn's log (bench.httpbench)
    with Server("wsgi:app", env, workers, cwd=tree) as server:
        def make(i):
            session = http.Session()
            token, body = pairs[i % len(pairs)]
            session.headers["Authorization"] = f"Bearer {token}"
            return lambda: session.post(f"{server.url}/api/v1/requests", json=body, timeout=60).status_code == 201
        return measured(server, make, clients, seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", default=[str(HERE)], help="source trees (old first)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database", default="bench_filing")
    parser.add_argument("--city", help="a shared generated city (bench_50k): read, rows removed after")
    parser.add_argument("--profile", type=int, nargs="?", const=40, default=0,
                        help="print the top N functions of 20 filings' profile")
    parser.add_argument("--sql", action="store_true", help="print each statement of a filing")
    parser.add_argument("--gunicorn", action="store_true", help="under gunicorn: workers' CPU per filing")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    trees = [Path(t).resolve() for t in args.trees]
    database = args.city or args.database
    if not args.city:
        _ensure_own_database(database, trees[-1])
    sys.path.insert(0, str(HERE))
    from bench.city import cities

    before = cities.marks(_url(database))
    try:
        if args.gunicorn:
            for round_ in range(args.rounds):
                for tree in (trees if round_ % 2 == 0 else trees[::-1]):
                    got = subprocess.run(
                        [sys.executable, __file__, "--gunicorn-child", database, str(args.seconds),
                         str(args.clients), str(args.workers)], cwd=tree, env=_env(database, tree),
                        capture_output=True, text=True, check=False)
                    if got.returncode:
                        raise SystemExit(got.stderr[-3000:])
                    print(f"{tree.name} round {round_ + 1}: {got.stdout.strip().splitlines()[-1]} "
                          f"(load {os.getloadavg()[0]:.2f})", flush=True)
            return
        _report(trees, database, args)
    finally:
        deleted = cities.restore(_url(database), before)
        print(f"removed: {deleted}", file=sys.stderr)


def _report(trees, database, args):
    samples = {tree: [] for tree in trees}
    counts = {}
    loads = []
    for round_ in range(args.rounds):
        for tree in (trees if round_ % 2 == 0 else trees[::-1]):
            got = _child(tree, database, args.requests, args.profile if round_ == 0 else 0)
            samples[tree].extend(got["ms"])
            counts[tree] = got
            loads.append(os.getloadavg()[0])
            if got["top"]:
                print(f"== {tree} ==\n{got['top']}")
            print(f"round {round_ + 1}/{args.rounds}: {tree} {statistics.median(got['ms']):.2f} ms",
                  file=sys.stderr, flush=True)
    print(f"database {database}; {args.rounds} rounds × {args.requests} filings; load average "
          f"{min(loads):.2f}–{max(loads):.2f}")
    print("| tree | CPU ms per filing (median) | p25–p75 | ÷ first | SQL statements | Redis round trips | "
          "Python calls |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    first = statistics.median(samples[trees[0]])
    for tree in trees:
        ms = samples[tree]
        q = statistics.quantiles(ms, n=4)
        c = counts[tree]
        print(f"| {tree.name} | {statistics.median(ms):.2f} | {q[0]:.2f}–{q[2]:.2f} | "
              f"{statistics.median(ms) / first:.2f} | {c['statements']} | {c['redis']} | {c['calls']:,} |")
    for tree in trees:
        kinds = " ".join(sql.split(None, 1)[0] for sql in counts[tree]["sql"])
        print(f"{tree.name} statements: {kinds}")
        if args.sql:
            print("\n".join(f"  {sql[:300]}" for sql in counts[tree]["sql"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.path.insert(0, os.getcwd())
        print(json.dumps(measure(int(sys.argv[2]), int(sys.argv[3]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "--gunicorn-child":
        sys.path.insert(0, os.getcwd())
        _db, _seconds, _clients_n, _workers = sys.argv[2:6]
        result = gunicorn_cpu(Path(os.getcwd()), _db, float(_seconds), int(_clients_n), int(_workers))
        print(json.dumps(result))
    else:
        main()
