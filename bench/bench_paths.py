"""CPU per request on the main paths, in process, for one tree or two compared.

    python -m bench.bench_paths                      # this tree
    python -m bench.bench_paths /work/old /work/main # trees compared with the first, rounds alternated

A refactoring that must change no behaviour (issue 23) should change no cost either.
Each tree runs in its own process (PYTHONPATH = the tree, so its `community` is the one
imported), on its own SQLite file with the demo county (`seed-demo`), against Redis db 4
(BENCH_PATHS_REDIS_URL). Each round signs in, then times every path REQUESTS times with
the process's CPU clock (not the wall clock: the other core's load counts less); rounds
alternate between the trees, so a machine that gets busier part-way weighs on both.
Printed: median CPU ms per request (with SQL statements and Python function calls, which
do not depend on the machine's load) per path and tree, and each tree ÷ the first.
"""
import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("BENCH_PATHS_REDIS_URL", "redis://127.0.0.1:6379/4")
UNLIMITED = {name: "1000000 per minute" for name in (
    "COMMUNITY_LOGIN_RATE", "COMMUNITY_FILING_RATE", "COMMUNITY_TRACKING_RATE", "COMMUNITY_API_RATE",
    "COMMUNITY_API_IP_RATE", "COMMUNITY_API_FILING_RATE")}
FILING = {"kind": "help", "category": "ELD", "text": "楼道灯坏了，晚上看不见台阶，请尽快修理。",
          "address": "1号楼2单元"}


def _timed(call, count: int) -> list[float]:
    spent = []
    for _ in range(count):
        start = time.process_time()
        response = call()
        spent.append((time.process_time() - start) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{response.request.method} {response.request.path}: {response.status_code} "
                             f"{response.get_data(as_text=True)[-1500:]}")
    return spent


def _signed_in(app, login, password):
    client = app.test_client()
    answer = client.post("/login", data={"login": login, "password": password})
    if answer.status_code != 302:
        raise SystemExit(f"could not sign in as {login}: {answer.status_code}")
    return client


def measure(database: str, requests: int) -> dict:
    """One round in this process: {path: [ms, ...]}. The database is seeded on first use."""
    from sqlalchemy import text

    from community import create_app

    app = create_app()
    app.config.update(WTF_CSRF_ENABLED=False, TESTING=False)
    with app.app_context():
        runner = app.test_cli_runner()
        if not Path(database).exists() or Path(database).stat().st_size == 0:
            for args in (["db", "upgrade"], ["seed-demo", "--tickets", "300"]):
                result = runner.invoke(args=args)
                if result.exit_code != 0:
                    raise SystemExit(f"{' '.join(args)}: {result.output}")
        # Plain SQL through the app's engine: the trees compared differ in where modules live.
        with app.extensions["sqlalchemy"].engine.connect() as conn:
            def one(sql, **params):
                return conn.execute(text(sql), params).scalar()
            street = one("select unit_id from users where username = 'street1'")
            grid = one("select unit_id from users where username = 'grid1'")
            home = one("select home_community_id from users where phone = '13800000001'")
            ticket = one("select min(id) from tickets where grid_id = :grid", grid=grid)
            code = one("select tracking_code from tickets where id = :id", id=ticket)
    password = "demo-password"
    worker = _signed_in(app, "grid1", password)
    officer = _signed_in(app, "street1", password)
    resident = _signed_in(app, "13800000001", password)
    anonymous = app.test_client()
    paths = {
        "GET /work (grid worker's queue)": lambda: worker.get("/work"),
        "GET /work/tickets/<id>": lambda: worker.get(f"/work/tickets/{ticket}"),
        "GET /stats/units/<street>": lambda: officer.get(f"/stats/units/{street}"),
        "GET / (filing form)": lambda: resident.get("/"),
        "POST / (a filing)": lambda: resident.post("/", data={**FILING, "community": str(home),
                                                             "submit_token": uuid.uuid4().hex}),
        "GET /t/<code> (tracking)": lambda: anonymous.get(f"/t/{code}"),
        "GET /public": lambda: anonymous.get("/public"),
    }
    from sqlalchemy import event

    statements = []
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(1))
    out = {}
    for name, call in paths.items():
        _timed(call, 3)  # warm: templates compiled, caches filled
        statements.clear()
        profile = cProfile.Profile()  # Python calls per request: the same count on a busy machine
        profile.runcall(call)
        calls = pstats.Stats(profile).total_calls
        out[name] = {"statements": len(statements), "calls": calls, "ms": _timed(call, requests)}
    return out


def _child(tree: Path, database: str, requests: int) -> dict:
    env = {**os.environ, **UNLIMITED, "PYTHONPATH": str(tree), "DATABASE_URL": f"sqlite:///{database}",
           "REDIS_URL": REDIS, "SECRET_KEY": "bench-paths", "FLASK_DEBUG": "0"}
    env.pop("COMMUNITY_ENV", None)
    # This file is run by path, so an old tree without it can be measured too.
    done = subprocess.run([sys.executable, __file__, "--child", database, str(requests)], cwd=tree, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", default=[str(HERE)], help="source trees (old first)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)
    trees = [Path(t).resolve() for t in args.trees]
    work = Path(tempfile.mkdtemp(prefix="bench-paths-"))
    samples = {tree: {} for tree in trees}
    counts = {tree: {} for tree in trees}
    for round_ in range(args.rounds):
        for tree in (trees if round_ % 2 == 0 else trees[::-1]):
            database = str(work / f"{trees.index(tree)}.db")
            for name, got in _child(tree, database, args.requests).items():
                samples[tree].setdefault(name, []).extend(got["ms"])
                counts[tree][name] = (got["statements"], got["calls"])
            print(f"round {round_ + 1}/{args.rounds}: {tree}", file=sys.stderr, flush=True)
    names = list(samples[trees[0]])
    head = " | ".join(f"{t.name} ms" for t in trees)
    ratios = " | ".join(f"{t.name} ÷ {trees[0].name}" for t in trees[1:])
    print(f"| path | {head} |" + (f" {ratios} |" if ratios else ""))
    print("| --- |" + " ---: |" * (2 * len(trees) - 1))
    for name in names:
        medians = [statistics.median(samples[t][name]) for t in trees]
        cells = " | ".join(f"{m:.2f} ({counts[t][name][0]}; {counts[t][name][1]:,})"
                           for m, t in zip(medians, trees))
        ratio = "".join(f" {m / medians[0]:.2f} |" for m in medians[1:])
        print(f"| {name} | {cells} |{ratio}")
    shutil.rmtree(work, ignore_errors=True)
    print(f"({args.rounds} rounds × {args.requests} requests per path and tree, CPU clock, "
          f"median; in brackets: SQL statements and Python calls per request; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]))))
    else:
        main()
