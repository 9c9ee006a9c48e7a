"""SLA sweep benchmark: the cost follows the due rows, not the table.

    python -m bench.bench_sweep --build [--small 50000] [--big 5000000]   # build, then measure
    python -m bench.bench_sweep                                           # measure built ones

Builds two PostgreSQL databases with bench.city.citygen (bench_sweep_small and
bench_sweep_big, 1,000 requests due in each, bulk loaded with COPY), then
times one sweep of the 1,000 due requests in each, three times after a
warm-up, restoring the swept rows between runs. Prints seconds per sweep at
each size, their ratio (target ≤ 2×) and due rows per second (target ≥ 5,000/s).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

from sqlalchemy import text

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)  # Wednesday noon in Shanghai
NAIVE_NOW = NOW.replace(tzinfo=None)  # as stored (UTC, no zone)
DUE = 1000
ADMIN_URL = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
TABLES_GROWN = ("notifications", "ticket_events", "outbox")


def _app(database_url: str, redis_url: str):
    from bench.city.citygen import make_app

    os.environ["REDIS_URL"] = redis_url
    app = make_app(database_url)
    app.config["REDIS_URL"] = redis_url
    return app


def run(database_url: str, redis_url: str, repeats: int = 3) -> dict:
    """Time the sweep of what is due at NOW in an already built database (restored after)."""
    from community.core.extensions import db
    from community.sla.sweep import sweep

    app = _app(database_url, redis_url)
    timings, cpu_times, counts = [], [], {}
    with app.app_context():
        total = db.session.scalar(text("SELECT count(*) FROM tickets"))
        snapshot = _snapshot(db)
        _vacuum(database_url)
        for attempt in range(repeats + 1):  # the first is a warm-up
            started, cpu = time.perf_counter(), time.process_time()
            counts = dict(sweep(NOW))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            _restore(db, snapshot)
            _vacuum(database_url)
            if attempt:
                timings.append(elapsed)
                cpu_times.append(cpu)
        plan = db.session.execute(text(
            "EXPLAIN SELECT id FROM tickets WHERE sla_check_at <= :now ORDER BY sla_check_at, id "
            "LIMIT 500"), {"now": NAIVE_NOW}).scalars().all()
    seconds = statistics.median(timings)
    return {"tickets": total, "due": snapshot["due"], "seconds": round(seconds, 4),
            "client_cpu_seconds": round(statistics.median(cpu_times), 4),
            "due_per_second": round(snapshot["due"] / seconds) if seconds else None,
            "counts": counts, "plan": plan[0]}


def _snapshot(db) -> dict:
    due = db.session.scalar(text("SELECT count(*) FROM tickets WHERE sla_check_at <= :now"),
                            {"now": NAIVE_NOW})
    db.session.execute(text("DROP TABLE IF EXISTS bench_due"))
    db.session.execute(text("CREATE TABLE bench_due AS SELECT * FROM tickets WHERE sla_check_at <= :now"),
                       {"now": NAIVE_NOW})
    marks = {t: db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {t}")) for t in TABLES_GROWN}
    db.session.commit()
    columns = [r[0] for r in db.session.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets' "
        "AND table_schema = current_schema() AND column_name <> 'id'"))]
    return {"due": due, "marks": marks, "columns": columns}


def _restore(db, snapshot) -> None:
    db.session.rollback()
    for table in ("notifications", "outbox", "ticket_events"):
        db.session.execute(text(f"DELETE FROM {table} WHERE id > :m"), {"m": snapshot["marks"][table]})
    sets = ", ".join(f"{c} = b.{c}" for c in snapshot["columns"])
    db.session.execute(text(f"UPDATE tickets t SET {sets} FROM bench_due b WHERE t.id = b.id"))
    db.session.commit()
    db.session.remove()


def _vacuum(url: str) -> None:
    """What autovacuum does between two sweeps of a live server: each restore leaves a
    dead copy of every swept row, and a server with autovacuum off (as some test
    machines run) would otherwise time each sweep against the last ones' leftovers."""
    from bench.city.cities import vacuum

    vacuum(url, ("tickets",) + TABLES_GROWN)


def _createdb(name: str, template: str | None = None) -> str:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name]
                   + (["-T", template] if template else []), check=True)
    return f"{ADMIN_URL}/{name}"


def _psql(url: str, sql: str, **params) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, params)


COPIED = ("kind, category_id, text, text_public, urgency, tier, level, handling_unit_id, grid_id, "
          "community_id, street_id, county_id, address, resident_id, contact_name, contact_phone, "
          "channel, result_note, extension_count, reopen_count, version, sla_flags")

# Requests that stay closed: the bulk of a big table, never due again.
FILLER = f"""
INSERT INTO tickets (tracking_code, state, submitted_at, arrived_at, accepted_at, first_response_at,
                     resolved_at, closed_at, updated_at, {COPIED})
SELECT 'F' || r || '-' || t.id, 'closed', t.submitted_at, t.arrived_at, t.submitted_at,
       t.submitted_at, t.submitted_at, t.submitted_at, t.submitted_at, {COPIED}
FROM generate_series(1, %(rounds)s) AS r
CROSS JOIN (SELECT * FROM tickets WHERE state = 'closed' ORDER BY id LIMIT 100000) AS t
LIMIT %(n)s
"""

# 1,000 requests whose next mark has just come, as a sweep every minute finds them:
# a quarter each of acceptance warnings, acceptance breaches (→ escalation),
# resolution warnings and resolution breaches (→ escalation).
DUE_ROWS = f"""
WITH base AS (
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM tickets
  WHERE urgency = 'normal' AND tier = 'grid' ORDER BY id LIMIT {DUE}),
t AS (SELECT *, n %% 4 AS k, %(at)s::timestamp AS at FROM base)
INSERT INTO tickets (tracking_code, state, submitted_at, arrived_at, accepted_at, first_response_at,
                     response_due_at, accept_due_at, resolve_due_at, resolve_started_at,
                     updated_at, next_due_at, sla_check_at, {COPIED})
SELECT 'DUE' || n, CASE WHEN k IN (0, 2) THEN 'submitted' ELSE 'in_progress' END,
  s.sub, s.sub, s.acc, s.acc, s.sub + interval '24 hours',
  s.sub + interval '24 hours', s.rdue, s.acc, t.at, t.at, t.at,
  {COPIED.replace("sla_flags", "s.flags").replace("version", "1")}
FROM t CROSS JOIN LATERAL (SELECT
  CASE k WHEN 0 THEN at - interval '18 hours' WHEN 2 THEN at - interval '24 hours'
         WHEN 1 THEN at - interval '3 days 1 hour' ELSE at - interval '4 days 1 hour' END AS sub,
  CASE k WHEN 1 THEN at - interval '3 days' WHEN 3 THEN at - interval '4 days' END AS acc,
  CASE k WHEN 1 THEN at + interval '1 day' WHEN 3 THEN at END AS rdue,
  CASE k WHEN 2 THEN 5 WHEN 3 THEN 16 ELSE 0 END AS flags) AS s
"""


def build(small: int, big: int, reuse_base: bool = False) -> None:
    """Both databases from one city: bench.city.citygen fills a base of `small` requests
    (COPY), each database is a copy of it; the big one is padded with closed
    requests to `big` rows; then the same 1,000 due requests go into each."""
    from bench.city.citygen import populate

    started = time.monotonic()
    if not reuse_base:
        base = _createdb("bench_sweep_base")
        populate(base, small - DUE, due_now=0, now=NOW)
    print(f"base city: {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    for name, size in (("bench_sweep_small", small), ("bench_sweep_big", big)):
        url = _createdb(name, template="bench_sweep_base")
        if size > small:
            _psql(url, FILLER, rounds=size // 1000 + 1, n=size - small)
        _psql(url, DUE_ROWS, at=NAIVE_NOW)
        _psql(url, "VACUUM ANALYZE tickets")
        print(f"{name}: {size:,} requests, {time.monotonic() - started:.0f}s", file=sys.stderr,
              flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.bench_sweep")
    parser.add_argument("--build", action="store_true", help="(re)build both databases first")
    parser.add_argument("--reuse-base", action="store_true",
                        help="with --build: keep the citygen base database already built")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11"))
    args = parser.parse_args(argv)
    names = {"small": "bench_sweep_small", "big": "bench_sweep_big"}
    if args.build:
        build(args.small, args.big, reuse_base=args.reuse_base)
    results = {k: run(f"{ADMIN_URL}/{v}", args.redis_url) for k, v in names.items()}
    small, big = results["small"], results["big"]
    ratio = big["seconds"] / small["seconds"]
    print(json.dumps(results, indent=1, default=str))
    print(f"sweep of {small['due']} due among {small['tickets']:,}: {small['seconds']:.3f} s "
          f"({small['due_per_second']:,}/s)")
    print(f"sweep of {big['due']} due among {big['tickets']:,}: {big['seconds']:.3f} s "
          f"({big['due_per_second']:,}/s)")
    print(f"ratio big/small: {ratio:.2f}x (target <= 2x); "
          f"due rows/second at the big size: {big['due_per_second']:,} (target >= 5,000/s)")


if __name__ == "__main__":
    main()
