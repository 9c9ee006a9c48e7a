"""How long each migration keeps a city's big tables from being written (issue 30).

    python -m bench.bench_migration_locks --database-url postgresql://127.0.0.1:5432/bench_5m_locks \\
        --revisions 0014,0023 --before-dir /tmp/locks-before/migrations

On a COPY of a city at head (it is migrated down and up: never point it at a shared city).
For each revision, newest first, on its own: the database is stamped at that revision, its
downgrade runs (`flask db downgrade <parent>`), then its upgrade runs (`flask db upgrade
<rev>`) while

- a probe writes to every big table that has rows (`UPDATE t SET id = id WHERE id = <its
  newest row>`: a real row write, nothing changed), one connection per table, every 20 ms,
  each write timed: the longest a resident's write would have waited;
- pg_locks is read every 10 ms: the strongest lock the migration's connection holds on each
  big table, and the longest stretch it held one that blocks writes (SHARE and above);

then the database is stamped back at head. With --before-dir (the migrations directory of
an earlier commit, e.g. `git archive main migrations | tar -x -C /tmp/before`) the same
revision is first run with that code, downgraded again, then with this checkout's: before
and after in the same run, on the same rows. A revision whose downgrade cannot run on its
own (it drops what later revisions built on) is reported and skipped.

Prints one JSON line per run and a table at the end; the load average is in each line.
"""
import argparse
from datetime import datetime, timezone
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

APP_NAME = "bench-migration"
# The tables that grow with the city (bench/city): requests, their history and figures.
BIG = ("tickets", "ticket_events", "ratings", "resolutions", "users", "notifications",
       "rectification_cases", "assist_tasks", "extension_requests", "stat_daily",
       "stat_category_daily", "ticket_photos", "ticket_arrivals")
BLOCKS_WRITES = ("ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
STRENGTH = {mode: i for i, mode in enumerate((
    "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
    *BLOCKS_WRITES))}
HERE = Path(__file__).resolve().parent.parent


def flask_db(url: str, *args: str, directory: str | None = None) -> float:
    env = dict(os.environ, DATABASE_URL=url, COMMUNITY_DB_APPLICATION_NAME=APP_NAME,
               REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10"))
    extra = ["-d", directory] if directory else []
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", args[0], *extra, *args[1:]],
                          env=env, cwd=HERE, capture_output=True, text=True, check=False)
    if done.returncode:
        errors = [line for line in done.stderr.splitlines() if "Error" in line] or done.stderr.splitlines()
        raise RuntimeError(f"flask db {' '.join(args)}: {errors[-1][:300] if errors else done.returncode}")
    return time.monotonic() - started


class Probe(threading.Thread):
    """One write every `every` seconds to one row of `table`, each timed."""

    def __init__(self, url: str, table: str, row_id: int, every: float = 0.02):
        super().__init__(daemon=True)
        self.url, self.table, self.row_id, self.every = url, table, row_id, every
        self.stop = threading.Event()
        self.waits: list[tuple[float, float]] = []  # (started, seconds)
        self.errors: list[str] = []

    def run(self):
        conn = psycopg.connect(self.url, autocommit=True)
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                conn.execute(f"UPDATE {self.table} SET id = id WHERE id = %s", (self.row_id,))
            except psycopg.Error as error:  # the table renamed or swapped under it (0030)
                self.errors.append(type(error).__name__)
                if conn.closed or conn.broken:
                    conn = psycopg.connect(self.url, autocommit=True)
            self.waits.append((began, time.monotonic() - began))
            time.sleep(self.every)
        conn.close()


class LockWatch(threading.Thread):
    """pg_locks every 10 ms: the migration's relation locks on the big tables (a partition's
    counted as its table's)."""

    QUERY = """
        SELECT coalesce(pg_partition_root(c.oid), c.oid)::regclass::text, l.mode
        FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE a.application_name = %s AND l.granted AND l.locktype = 'relation'
          AND c.relkind IN ('r', 'p')"""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.strongest: dict[str, str] = {}
        self.blocking_since: dict[str, float] = {}
        self.longest: dict[str, float] = {}
        self.polls = 0

    def run(self):
        conn = psycopg.connect(self.url, autocommit=True)
        while not self.stop.is_set():
            now = time.monotonic()
            held: dict[str, str] = {}
            for table, mode in conn.execute(self.QUERY, (APP_NAME,)).fetchall():
                table = table.rsplit(".", 1)[-1].removesuffix("_next")
                if table in BIG and STRENGTH.get(mode, -1) > STRENGTH.get(held.get(table), -1):
                    held[table] = mode
            for table, mode in held.items():
                if STRENGTH[mode] > STRENGTH.get(self.strongest.get(table), -1):
                    self.strongest[table] = mode
                if mode in BLOCKS_WRITES:
                    self.blocking_since.setdefault(table, now)
            for table in [t for t in self.blocking_since if held.get(t) not in BLOCKS_WRITES]:
                self._close(table, now)
            self.polls += 1
            time.sleep(0.01)
        for table in list(self.blocking_since):
            self._close(table, time.monotonic())
        conn.close()

    def _close(self, table: str, now: float):
        held = now - self.blocking_since.pop(table)
        self.longest[table] = max(self.longest.get(table, 0.0), held)


def probe_targets(url: str) -> dict[str, int]:
    targets = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in BIG:
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
                continue
            newest = conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
            if newest is not None:
                targets[table] = newest
    return targets


def measured_upgrade(url: str, revision: str, directory: str | None) -> dict:
    probes = [Probe(url, table, row) for table, row in probe_targets(url).items()]
    watch = LockWatch(url)
    load = os.getloadavg()[0]
    for thread in (watch, *probes):
        thread.start()
    time.sleep(0.2)  # every probe has written once before the migration starts
    try:
        seconds = flask_db(url, "upgrade", revision, directory=directory)
    finally:
        time.sleep(0.2)
        for thread in (*probes, watch):
            thread.stop.set()
        for thread in (*probes, watch):
            thread.join()
    waits = {p.table: max((w for _, w in p.waits), default=0.0) for p in probes}
    worst = max(waits, key=waits.get) if waits else None
    lock_table = max(watch.longest, key=watch.longest.get) if watch.longest else None
    return {
        "seconds": round(seconds, 2), "load_avg_1m": round(load, 1),
        "writes": sum(len(p.waits) for p in probes),
        "write_errors": sorted({e for p in probes for e in p.errors}),
        "longest_write_wait_ms": round(waits[worst] * 1000) if worst else 0, "waited_on": worst,
        "longest_blocking_lock_s": round(watch.longest[lock_table], 2) if lock_table else 0.0,
        "lock_table": lock_table, "strongest": watch.strongest,
        "wait_ms_by_table": {t: round(w * 1000) for t, w in sorted(waits.items())},
        "lock_s_by_table": {t: round(s, 2) for t, s in sorted(watch.longest.items())},
    }


def parents(directory: Path) -> dict[str, str]:
    """revision → down_revision, read from the scripts' headers."""
    found = {}
    for path in sorted((directory / "versions").glob("*.py")):
        scope: dict = {}
        for line in path.read_text().splitlines():
            if line.startswith(("revision =", "down_revision =")):
                exec(line, scope)  # noqa: S102 (our own scripts' two assignments)
        found[scope["revision"]] = scope["down_revision"]
    return found


def measure(url: str, revision: str, parent: str, before_dir: str | None) -> list[dict]:
    results = []
    flask_db(url, "stamp", revision)
    try:
        down = flask_db(url, "downgrade", parent)
    except RuntimeError as error:
        flask_db(url, "stamp", "head")
        return [{"revision": revision, "skipped": str(error)}]
    for code, directory in (("before", before_dir), ("after", None)):
        if code == "before" and not before_dir:
            continue
        if code == "after" and before_dir:
            flask_db(url, "downgrade", parent)
        result = {"revision": revision, "code": code, "downgrade_s": round(down, 1),
                  **measured_upgrade(url, revision, directory)}
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    flask_db(url, "stamp", "head")
    return results


def table(results: list[dict]) -> str:
    lines = [("| revision | code | run, s | longest write wait, ms (table) | longest write-blocking "
              "lock, s (table, strongest) | writes | load avg |"), "|---|---|---|---|---|---|---|"]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['revision']} | skipped: {r['skipped']} | | | | | |")
            continue
        strongest = r["strongest"].get(r["lock_table"], "") if r["lock_table"] else ""
        lines.append(f"| {r['revision']} | {r['code']} | {r['seconds']} | {r['longest_write_wait_ms']:,} "
                     f"({r['waited_on']}) | {r['longest_blocking_lock_s']} ({r['lock_table'] or '—'}"
                     f"{', ' + strongest if strongest else ''}) | {r['writes']:,} | {r['load_avg_1m']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a COPY of a city, at head")
    parser.add_argument("--revisions", required=True, help="e.g. 0014,0023, or all (run newest first)")
    parser.add_argument("--before-dir", help="an earlier commit's migrations directory")
    args = parser.parse_args(argv)
    if args.database_url.rstrip("/").rsplit("/", 1)[-1] in ("bench_50k", "bench_5m"):
        parser.error("a shared city: run on a copy (CREATE DATABASE … TEMPLATE …)")
    chain = parents(HERE / "migrations")
    wanted = [r for r in chain if chain[r]] if args.revisions == "all" else args.revisions.split(",")
    results = []
    for revision in sorted(wanted, reverse=True):
        try:
            results += measure(args.database_url, revision, chain[revision], args.before_dir)
        except RuntimeError as error:  # an upgrade that failed: said, and the copy put back at head
            print(json.dumps({"revision": revision, "failed": str(error)}, ensure_ascii=False), flush=True)
            results.append({"revision": revision, "skipped": f"failed: {error}"})
            flask_db(args.database_url, "stamp", "head")
    print(table(results))
    LAST.parent.mkdir(parents=True, exist_ok=True)
    LAST.write_text(json.dumps({"date": datetime.now(timezone.utc).isoformat(timespec="minutes"),
                                "database": args.database_url.rsplit("/", 1)[-1], "results": results},
                               ensure_ascii=False, indent=1))


# The last run's figures, for make bench's table (this takes too long to run inside it).
LAST = HERE / "bench" / ".cache" / "migration-locks.json"


def largest(path=LAST) -> dict | None:
    """The last run's largest write-blocking lock after the change, and where; None if never run."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    after = [r for r in data["results"] if r.get("code") == "after"]
    if not after:
        return None
    worst = max(after, key=lambda r: r["longest_blocking_lock_s"])
    return {"date": data["date"], "database": data["database"], "revisions": len(after),
            "seconds": worst["longest_blocking_lock_s"], "revision": worst["revision"],
            "table": worst["lock_table"]}


if __name__ == "__main__":
    main()
