"""The benchmark databases: one generated city per size, built once and kept.

bench_<size> (bench_50k, bench_5m …) on the local PostgreSQL is reused when its
generated requests are all there (the summary in bench/.cache/<db>.json says
how many and which ids); otherwise it is dropped and generated again. New
migrations are applied to a kept database. Rows a benchmark adds are removed
after it by id marks (`marks` / `restore`), so the cache stays valid.
"""
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "bench" / ".cache"
try:  # the moment the SLA sweep benchmark sweeps at: the due requests come due just before it
    from bench.bench_sweep import NOW
except ImportError:
    NOW = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)  # Wednesday noon in Shanghai
DUE = 1000
HOST = "127.0.0.1"


def label(requests: int) -> str:
    if requests % 1_000_000 == 0:
        return f"{requests // 1_000_000}m"
    if requests % 1000 == 0:
        return f"{requests // 1000}k"
    return str(requests)


def url_of(name: str) -> str:
    return f"postgresql://{HOST}:5432/{name}"


def _exists(name: str) -> bool:
    with psycopg.connect(url_of("postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _valid(name: str, summary: dict | None) -> bool:
    if not summary or not _exists(name):
        return False
    try:
        with psycopg.connect(url_of(name)) as conn:
            n = conn.execute("SELECT count(*) FROM tickets WHERE id <= %s",
                             (summary["last_ticket_id"],)).fetchone()[0]
    except psycopg.Error:
        return False
    return n == summary["requests"]


def ensure_city(requests: int, log=print) -> tuple[str, dict]:
    """The URL of a database holding a generated city of `requests`, and its summary."""
    name = f"bench_{label(requests)}"
    path = CACHE / f"{name}.json"
    CACHE.mkdir(parents=True, exist_ok=True)
    summary = None
    if path.exists():
        try:
            summary = json.loads(path.read_text().strip().splitlines()[-1])
        except (ValueError, IndexError):
            summary = None
    if summary and "last_ticket_id" not in summary and summary.get("requests") == requests:
        summary["last_ticket_id"] = requests  # a fresh database numbers them from 1
    if _valid(name, summary):
        log(f"{name}: kept ({requests:,} requests)")
        _tidy_versions(url_of(name))
        before = _versions(url_of(name))
        _run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade", "heads"],
             env={"DATABASE_URL": url_of(name)})
        if _versions(url_of(name)) != before:
            # A migration's backfill rewrote rows (0036: 3.2 M ratings): autovacuum would
            # clear the dead versions and set the visibility map on a live server; this
            # machine's PostgreSQL runs without it, and the pages would read through them.
            log(f"{name}: VACUUM (ANALYZE) after the migration")
            with psycopg.connect(url_of(name), autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
        from bench.city.citydue import refresh_due  # kept cities from older generators: same due set

        refresh_due(url_of(name), NOW, DUE)
        if not summary.get("rollup_rows"):
            log(f"{name}: daily figures")
            _run([sys.executable, "-m", "bench.city.citygen", "--database-url", url_of(name),
                  "--requests", "0", "--figures-only", "--now", NOW.isoformat()])
            summary["rollup_rows"] = True
            path.write_text(json.dumps(summary))
        return url_of(name), summary
    log(f"{name}: generating {requests:,} requests (kept for later runs)")
    subprocess.run(["dropdb", "-h", HOST, "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", HOST, name], check=True)
    out = _run([sys.executable, "-m", "bench.city.citygen", "--database-url", url_of(name),
                "--requests", str(requests), "--due-now", str(DUE), "--now", NOW.isoformat()])
    summary = json.loads(out.strip().splitlines()[-1])
    summary["last_ticket_id"] = requests
    path.write_text(json.dumps(summary))
    return url_of(name), summary


def _versions(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}


def _tidy_versions(url: str) -> None:
    """A database migrated while revisions were parallel branches keeps one row per
    branch; once the branches are a chain, Alembic wants only the newest of them."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    script = ScriptDirectory.from_config(config)
    with psycopg.connect(url) as conn:
        rows = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
        below = set()
        for rev in rows:
            try:
                below |= {s.revision for s in script.iterate_revisions(rev, "base")} - {rev}
            except Exception:  # an unknown revision: leave the table alone
                return
        for rev in set(rows) & below:
            conn.execute("DELETE FROM alembic_version WHERE version_num = %s", (rev,))


def _run(cmd, env=None) -> str:
    import os

    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True)
    if done.returncode:
        sys.stderr.write(done.stderr[-3000:])
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed")
    return done.stdout


def marks(url: str) -> dict:
    """max(id) of every table with an integer id, to undo a benchmark's inserts."""
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND column_name = 'id' AND data_type = 'integer'")]
        return {t: conn.execute(f'SELECT coalesce(max(id), 0) FROM "{t}"').fetchone()[0]
                for t in tables}


def restore(url: str, before: dict) -> dict:
    """Delete rows added since `before`, children first; returns rows deleted per table."""
    deleted = {}
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")  # order-free, like a restore
        for table, mark in before.items():
            n = conn.execute(f'DELETE FROM "{table}" WHERE id > %s', (mark,)).rowcount
            if n:
                deleted[table] = n
        conn.execute("SET session_replication_role = origin")
    vacuum(url, deleted)
    return deleted


def vacuum(url: str, tables) -> None:
    """Clear what a benchmark left behind, as autovacuum would on a live server, index
    entries included (a small VACUUM may skip them): the next benchmark on this kept
    database should not read through the last one's dead rows."""
    if tables:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"VACUUM (INDEX_CLEANUP ON) {', '.join(tables)}")
