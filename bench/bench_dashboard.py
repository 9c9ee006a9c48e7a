"""Street dashboard benchmark: it reads the daily rollups only, so its p95 stays
flat as the history grows (target: p95 at 5M requests ≤ 2 × p95 at 50k, same run).

    python -m bench.bench_dashboard [--small 50000] [--big 5000000] [--mode citygen|rollups]

Builds each size in its own schema of one PostgreSQL database (default:
bench_dash, made with createdb if missing; BENCH_DASH_URL overrides), then
requests the street officer's dashboard through the Flask test client, signed
in, alternating between the two sizes so that a busy machine slows both alike.
`--no-build` measures what an earlier run built.

mode citygen: the whole city history through bench.city.citygen (requests, events,
ratings, cases), rollups built by `community.stats.rollup.rebuild_all`.
mode rollups: only the areas and the rollup rows a city of that size would have
(rows per unit and day drawn from the request volume), bulk-loaded: much faster
to build, and the dashboard reads nothing else but the two small live lists.
"""
import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from bench.city.cityrows import PASSWORD

DEFAULT_URL = os.environ.get("BENCH_DASH_URL", "postgresql://127.0.0.1:5432/bench_dash")
SAMPLES, WARMUP = 60, 5



def schema_url(database_url: str, schema: str) -> str:
    """The same database, with `schema` first on the search path (libpq options)."""
    return f"{database_url}{'&' if '?' in database_url else '?'}options=-csearch_path%3D{schema}"


def _reset(database_url: str, schema: str) -> None:
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


def build(database_url: str, schema: str, requests: int, mode: str, log=print) -> dict:
    _reset(database_url, schema)
    database_url = schema_url(database_url, schema)
    if mode == "citygen":
        from bench.city.citygen import populate

        return populate(database_url, requests)
    return _populate_rollups(database_url, requests, log)


def _populate_rollups(database_url: str, requests: int, log) -> dict:
    """Areas, staff and synthetic rollup rows for `requests` over two years."""
    from flask_migrate import upgrade

    from bench.city.bulkload import BulkLoader, naive_utc
    from bench.city.citygen import make_app
    from bench.city.cityrows import UNIT_COLUMNS, USER_COLUMNS, build_areas, build_people
    from community.core.extensions import db
    from community.stats.models import COUNTS

    app = make_app(database_url)
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    today = now.date()
    with app.app_context():
        upgrade(revision="heads")
        categories = [r[0] for r in db.session.execute(text("SELECT id FROM categories"))]
        db.session.remove()
        with db.engine.begin() as conn:
            loader = BulkLoader(conn)
            city = build_areas(loader.next_id("units"), rng)
            with loader.writer("units", UNIT_COLUMNS) as write:
                for row in city.units:
                    write(row)
            build_people(city, loader.next_id("users"), 0, naive_utc(now), rng)
            with loader.writer("users", USER_COLUMNS) as write:
                for row in city.users:
                    write(row)
            units = [(u[0], u[3]) for u in city.units if u[3] != "department"]
            share = {"grid": 1 / 10000, "community": 1 / 1800, "street": 1 / 140, "county": 1 / 14}
            per_day = requests / 730
            stamp = naive_utc(now)
            columns = ["day", "unit_id", "unit_kind", "updated_at", *COUNTS]
            rows = 0
            with loader.writer("stat_daily", columns) as write:
                for offset in range(730):
                    day = today - timedelta(days=offset)
                    for unit_id, kind in units:
                        rows += _maybe_row(write, rng, per_day * share[kind], (day, unit_id, kind, stamp))
            cat_rows = 0
            with loader.writer("stat_category_daily", ["day", "unit_id", "category_id", "updated_at",
                                                       *COUNTS]) as write:
                for offset in range(730):
                    day = today - timedelta(days=offset)
                    for unit_id, kind in units:
                        if kind in ("street", "county"):
                            for category in categories:
                                cat_rows += _maybe_row(write, rng, per_day * share[kind] / len(categories),
                                                       (day, unit_id, category, stamp))
            log(f"rollup rows {rows}, category rows {cat_rows}")
            loader.analyze(["stat_daily", "stat_category_daily", "units", "users"])
    return {"requests": requests, "rollup_rows": rows, "category_rows": cat_rows,
            "samples": city.samples}


def _maybe_row(write, rng, lam, head) -> int:
    """A unit-day row when that unit saw a filing or a resolution that day."""
    if rng.random() >= 1 - math.exp(-2 * lam):
        return 0
    filed = max(1, round(lam * (0.5 + rng.random())))
    rated = round(filed * 0.7)
    bad = int(rated * 0.06)
    counts = [filed, filed, round(filed * .95), filed, round(filed * .9), 0,
              filed, round(filed * .9), 0, rated, 0,
              round(rated * .45), round(rated * .3), rated - round(rated * .45) - round(rated * .3) - bad,
              bad, 0, round(rated * .8), round(rated * .15), rated - round(rated * .8) - round(rated * .15),
              bad]
    write((*head, *[max(0, c) for c in counts]))
    return 1


def _client(database_url: str):
    """A test client signed in as the first street officer, and the dashboard's URL."""
    from bench.city.citygen import make_app
    from community.auth.models import User
    from community.core.extensions import db
    from community.stats.models import StatDaily

    app = make_app(database_url)
    app.config.update(TESTING=True, RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.role == "street").order_by(User.id))
        username, unit_id = user.username, user.unit_id
        rows = db.session.scalar(db.select(db.func.count(StatDaily.id)))
        db.session.remove()
    client = app.test_client()
    # Signed in through the form: a session is registered server-side (auth.sessions),
    # so a cookie written by hand is refused (the dashboard answered 302 to /login).
    answer = client.post("/login", data={"login": username, "password": PASSWORD})
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise RuntimeError(f"could not sign in as {username}: {answer.status_code}")
    return client, f"/stats/units/{unit_id}", rows


def _time(client, url) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"dashboard answered {response.status_code}")
    return elapsed


def measure(urls: dict, samples: int = SAMPLES) -> dict:
    """p50/p95 per size, requests alternating between the sizes after a warm-up."""
    clients = {name: _client(url) for name, url in urls.items()}
    timings = {name: [] for name in urls}
    for number in range(WARMUP + samples):
        for name, (client, url, _rows) in clients.items():
            elapsed = _time(client, url)
            if number >= WARMUP:
                timings[name].append(elapsed)
    out = {}
    for name, values in timings.items():
        values.sort()
        out[name] = {"rollup_rows": clients[name][2],
                     "p50_ms": round(statistics.median(values) * 1000, 1),
                     "p95_ms": round(values[int(math.ceil(0.95 * len(values))) - 1] * 1000, 1)}
    return out


def run(database_url: str = DEFAULT_URL, small: int = 50_000, big: int = 5_000_000,
        mode: str = "rollups", samples: int = SAMPLES, rebuild: bool = True, log=print) -> dict:
    """Build both sizes (unless rebuild=False) and time the street dashboard on each."""
    sizes = {"small": small, "big": big}
    built = {}
    for name, requests in sizes.items():
        schema = f"dash_{mode}_{name}"
        if rebuild:
            started = time.monotonic()
            info = build(database_url, schema, requests, mode, log)
            built[name] = {"build_seconds": round(time.monotonic() - started, 1),
                           **{k: v for k, v in info.items() if k in ("ratings", "requests")}}
            log(json.dumps({name: built[name]}, ensure_ascii=False))
    urls = {name: schema_url(database_url, f"dash_{mode}_{name}") for name in sizes}
    result = measure(urls, samples)
    for name, requests in sizes.items():
        result[name].update(requests=requests, **built.get(name, {}))
    result["ratio_p95"] = round(result["big"]["p95_ms"] / result["small"]["p95_ms"], 2)
    result["mode"], result["samples"] = mode, samples
    return result


def _ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1]
    host = url.split("//", 1)[1].split("/", 1)[0].split(":")[0] or "127.0.0.1"
    exists = subprocess.run(["psql", "-h", host, "-d", "postgres", "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            capture_output=True, text=True)
    if exists.stdout.strip() != "1":
        subprocess.run(["createdb", "-h", host, name], check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--big", type=int, default=5_000_000)
    parser.add_argument("--mode", choices=("citygen", "rollups"), default="rollups")
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args(argv)
    _ensure_database(args.database_url)
    r = run(args.database_url, args.small, args.big, args.mode, args.samples, not args.no_build)
    print(json.dumps(r, ensure_ascii=False))
    small, big = r["small"], r["big"]
    print(f"street dashboard p95 ({args.mode}): {small['p95_ms']} ms at {args.small:,} requests "
          f"({small['rollup_rows']:,} rollup rows); {big['p95_ms']} ms at {args.big:,} requests "
          f"({big['rollup_rows']:,} rollup rows); ratio {r['ratio_p95']}x (target <= 2x) "
          f"{'OK' if r['ratio_p95'] <= 2 else 'OVER'}")
    return 0 if r["ratio_p95"] <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
