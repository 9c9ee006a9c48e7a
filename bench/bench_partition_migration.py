"""Migration 0030 (history by month) on a loaded table, with writes going on: how long
up and down take, and how long a live insert ever waits (issue 31: without a long lock).

    python -m bench.bench_partition_migration --database-url postgresql://postgres@127.0.0.1:5432/test \
        --events 600000

In a schema of its own (dropped at the end): migrates to 0029, loads `--events` events
(one every 4 minutes from 2024-01-15) and a message for every second one, then runs
`flask db upgrade` (0030) and `flask db downgrade 0029` while a connection inserts an
event every 20 ms, and checks that every one of those inserts is in the table after.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

import psycopg

SCHEMA = "bench_partition_migration"
SEED = f"""
SET search_path = {SCHEMA};
SET session_replication_role = replica;  -- the seed rows' own links are not the point
INSERT INTO users (id, username, name, password_hash, role, active, created_at)
    VALUES (1, 'bench', 'bench', 'x', 'resident', true, now());
INSERT INTO tickets (id, tracking_code, kind, category_id, text, text_public, urgency, state, tier, level,
    handling_unit_id, grid_id, community_id, street_id, county_id, address, contact_name, contact_phone,
    channel, submitted_at, arrived_at, result_note, extension_count, reopen_count, updated_at, version)
    VALUES (1, 'BENCH1', 'help', 1, 't', false, 'normal', 'submitted', 'grid', 1, 1, 1, 1, 1, 1, '', '', '',
    'web', now(), now(), '', 0, 0, now(), 1);
INSERT INTO ticket_events (ticket_id, at, action, note, public)
    SELECT 1, timestamp '2024-01-15' + g * interval '4 minutes', 'submit', 'n' || g, true
    FROM generate_series(1, %(events)s) g;
INSERT INTO notifications (event_id, created_at, text, phone, send_attempts, user_id)
    SELECT id, at, 'x', '', 0, 1 FROM ticket_events WHERE id %% 2 = 0;
"""


def _flask(url: str, *args: str) -> float:
    env = dict(os.environ, DATABASE_URL=f"{url}?options=-csearch_path%3D{SCHEMA}")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


class Writer(threading.Thread):
    """An event every 20 ms, as a busy city's requests would write them."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.conn = psycopg.connect(url, autocommit=True, options=f"-csearch_path={SCHEMA}")
        self.stop, self.waits, self.errors = threading.Event(), [], []

    def run(self):
        while not self.stop.is_set():
            began = time.perf_counter()
            try:
                self.conn.execute("INSERT INTO ticket_events (ticket_id, at, action, note, public) "
                                  "VALUES (1, now(), 'note', 'live', true)")
            except psycopg.Error as error:
                self.errors.append(type(error).__name__)
            self.waits.append(time.perf_counter() - began)
            time.sleep(0.02)

    def report(self) -> dict:
        waits = sorted(self.waits)
        return {"inserts": len(waits), "errors": self.errors,
                "longest_ms": round(waits[-1] * 1000) if waits else 0,
                "p99_ms": round(waits[int(len(waits) * 0.99)] * 1000, 1) if waits else 0}


def _during(url: str, *args: str) -> dict:
    writer = Writer(url)
    writer.start()
    seconds = _flask(url, *args)
    writer.stop.set()
    writer.join()
    return {"seconds": round(seconds, 1), **writer.report()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL")
    parser.add_argument("--events", type=int, default=600_000)
    args = parser.parse_args(argv)
    url = args.database_url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    try:
        _flask(url, "upgrade", "0029")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SEED % {"events": args.events})
        up = _during(url, "upgrade", "0030")
        down = _during(url, "downgrade", "0029")
        with psycopg.connect(url, autocommit=True, options=f"-csearch_path={SCHEMA}") as conn:
            live = conn.execute("SELECT count(*) FROM ticket_events WHERE action = 'note'").fetchone()[0]
        result = {"events": args.events, "messages": args.events // 2, "upgrade": up, "downgrade": down,
                  "live_inserts_kept": live == up["inserts"] + down["inserts"] - len(up["errors"] + down["errors"])}
        print(json.dumps(result, indent=1))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


if __name__ == "__main__":
    main()
