"""Events in one table vs partitioned by month (issue 31), on a kept bench city.

    python -m bench.bench_partitions --size 50000 [--samples 2000]

`bench_<size>` (bench/city/cities.py; at migration 0029: one `ticket_events` table) is
copied twice (createdb -T): `bench_<size>_plain` stays as it is, `bench_<size>_months` is
upgraded to head (0030 partitions `ticket_events` and `notifications` by month; the
upgrade's time is printed); both are vacuumed and analysed.
Then the statements that read or write events are timed on both, in alternating rounds
so a machine that gets busier weighs on both: a request's timeline (all its events, the
staff and tracking pages), the events of the last day (what the rollup of a day reads),
an event written (every step of every request), and the grid queue (no events: the
control). p50 and p95 in ms per statement, and partitioned ÷ one table.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import time

import psycopg

from bench.city.cities import HOST, url_of

STATEMENTS = {
    "timeline (one request's events)":
        "SELECT * FROM ticket_events WHERE ticket_id = %(ticket)s ORDER BY at, id",
    "the last day's events (a day's rollup)":
        "SELECT count(*), count(DISTINCT ticket_id) FROM ticket_events "
        "WHERE at >= %(day)s AND at < %(day)s + interval '1 day'",
    "grid queue (no events: control)":
        "SELECT id FROM tickets WHERE grid_id = %(grid)s AND state <> 'closed' "
        "ORDER BY next_due_at NULLS LAST, id LIMIT 50",
}
# Statements that read a whole day: on one table that is a scan of every event (seconds at
# 5M), so they are timed HEAVY times per round, not every sample.
SCANS = ("the last day's events (a day's rollup)",)
HEAVY = 10
WRITE = ("INSERT INTO ticket_events (ticket_id, action, note, at, public, actor_id) "
         "SELECT %(ticket)s, 'bench', '', %(at)s, false, NULL")


def _copy(name: str, suffix: str, log, upgrade: bool) -> str:
    """A fresh copy of the kept city (both forms fresh: same bloat, same statistics)."""
    copy = f"{name}_{suffix}"
    subprocess.run(["dropdb", "-h", HOST, "--if-exists", copy], check=True)
    started = time.perf_counter()
    subprocess.run(["createdb", "-h", HOST, "-T", name, copy], check=True)
    log(f"{copy}: copied in {time.perf_counter() - started:.0f} s")
    if upgrade:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade", "heads"],
                              env={**os.environ, "DATABASE_URL": url_of(copy)}, capture_output=True,
                              text=True)
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        log(f"{copy}: upgraded to head (0030: by month) in {time.perf_counter() - started:.0f} s")
    with psycopg.connect(url_of(copy), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return copy


def _samples(conn, count: int, rng) -> list[dict]:
    top, grids = conn.execute("SELECT max(id) FROM tickets").fetchone()[0], \
        [r[0] for r in conn.execute("SELECT id FROM units WHERE kind = 'grid'")]
    last = conn.execute("SELECT max(at) FROM ticket_events").fetchone()[0]
    return [{"ticket": rng.randint(1, top), "grid": rng.choice(grids), "day": last.date(), "at": last}
            for _ in range(count)]


def _time(conn, sql: str, params: list[dict]) -> list[float]:
    spent = []
    for p in params:
        start = time.perf_counter()
        conn.execute(sql, p, prepare=True).fetchall()
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def _time_writes(conn, params: list[dict]) -> list[float]:
    spent = []
    with conn.transaction(force_rollback=True):  # the copy keeps its rows as they were
        for p in params:
            start = time.perf_counter()
            conn.execute(WRITE, p, prepare=True)
            spent.append((time.perf_counter() - start) * 1000)
    return spent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="measure an earlier run's copy again")
    args = parser.parse_args(argv)
    from bench.city.cities import label

    def log(message):
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    kept = f"bench_{label(args.size)}"
    if args.keep:
        plain, months = f"{kept}_plain", f"{kept}_months"
    else:
        plain, months = _copy(kept, "plain", log, upgrade=False), _copy(kept, "months", log, upgrade=True)
    rng = random.Random(31)
    results = {plain: {}, months: {}}
    with psycopg.connect(url_of(plain), autocommit=True) as first:
        params = _samples(first, args.samples, rng)
    per_round = max(1, args.samples // args.rounds)
    for round_ in range(args.rounds):
        chunk = params[round_ * per_round:(round_ + 1) * per_round]
        for name in ((plain, months) if round_ % 2 == 0 else (months, plain)):
            with psycopg.connect(url_of(name), autocommit=True) as conn:
                for label_, sql in STATEMENTS.items():
                    some = chunk[:HEAVY] if label_ in SCANS else chunk  # a scan of the whole table
                    _time(conn, sql, some[:3])  # warm
                    results[name].setdefault(label_, []).extend(_time(conn, sql, some))
                results[name].setdefault("an event written", []).extend(_time_writes(conn, chunk))
        log(f"round {round_ + 1}/{args.rounds}")
    with psycopg.connect(url_of(months), autocommit=True) as conn:
        parts = conn.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'ticket_events'::regclass")
        count = parts.fetchone()[0]
        events = conn.execute("SELECT count(*) FROM ticket_events").fetchone()[0]
    print(f"events: {events:,}; partitions of ticket_events: {count}")
    print("| statement | one table p50 / p95, ms | by month p50 / p95, ms | p95 by month ÷ one table |")
    print("| --- | ---: | ---: | ---: |")
    for label_ in results[plain]:
        a, b = results[plain][label_], results[months][label_]
        pa = statistics.quantiles(a, n=20)[18]
        pb = statistics.quantiles(b, n=20)[18]
        print(f"| {label_} | {statistics.median(a):.3f} / {pa:.3f} | {statistics.median(b):.3f} / {pb:.3f} "
              f"| {pb / pa:.2f} |")


if __name__ == "__main__":
    main()
