"""SLA sweep benchmark: the cost follows the due rows, not the table.

    python -m bench.bench_sweep --build [--small 50000] [--big 5000000]   # build, then measure
    python -m bench.bench_sweep                                           # measure built ones

Builds two PostgreSQL databases with bench.citygen (bench_sweep_small and
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
    from bench.citygen import make_app

    os.environ["REDIS_URL"] = redis_url
    app = make_app(database_url)
    app.config["REDIS_URL"] = redis_url
    return app


def run(database_url: str, redis_url: str, repeats: int = 3) -> dict:
    """Time the sweep of what is due at NOW in an already built database (restored after)."""
    from community.extensions import db
    from community.sla.sweep import sweep

    app = _app(database_url, redis_url)
    timings, counts = [], {}
    with app.app_context():
        total = db.session.scalar(text("SELECT count(*) FROM tickets"))
        snapshot = _snapshot(db)
        for attempt in range(repeats + 1):  # the first is a warm-up
            started = time.perf_counter()
            counts = dict(sweep(NOW))
            elapsed = time.perf_counter() - started
            _restore(db, snapshot)
            if attempt:
                timings.append(elapsed)
        plan = db.session.execute(text(
            "EXPLAIN SELECT id FROM tickets WHERE sla_check_at <= :now ORDER BY sla_check_at, id "
            "LIMIT 500"), {"now": NAIVE_NOW}).scalars().all()
    seconds = statistics.median(timings)
    return {"tickets": total, "due": snapshot["due"], "seconds": round(seconds, 4),
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


def build(name: str, requests: int) -> str:
    """A fresh database filled by bench.citygen with DUE requests due at NOW."""
    from bench.citygen import populate

    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    url = f"{ADMIN_URL}/{name}"
    started = time.monotonic()
    summary = populate(url, requests, due_now=DUE, now=NOW)
    print(f"built {name}: {summary['requests']} requests in {time.monotonic() - started:.0f}s",
          file=sys.stderr, flush=True)
    return url


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.bench_sweep")
    parser.add_argument("--build", action="store_true", help="(re)build both databases first")
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--big", type=int, default=5_000_000)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11"))
    args = parser.parse_args(argv)
    names = {"small": "bench_sweep_small", "big": "bench_sweep_big"}
    if args.build:
        build(names["small"], args.small)
        build(names["big"], args.big)
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
