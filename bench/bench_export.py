"""A county's request export at its row cap: first byte, whole download, worker memory.

    python -m bench.bench_export [--sizes "50000 5000000"] [--days 365]

Issue 30's row "county CSV/XLSX export at its row cap: streamed, first byte ≤ 300 ms,
memory flat". For each city (bench/city/cities.py, kept between runs) one gunicorn
worker serves `/stats/units/<county>/export/requests.<fmt>?days=…` to the county's
officer (k01_1); the client reads the body in chunks and notes when the first one
arrived, and a thread reads the worker's resident set every 20 ms. Memory flat means
the worker's peak during the download is close to its size before it (the rows go
out in batches, bench: `growth_mb`), whatever the number of rows.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

import psycopg

from bench.city import cities
from bench.city.cityrows import PASSWORD
from .httpbench import Server, login, rss_mb

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
FIRST_BYTE_TARGET_MS = 300
OFFICER = "k01_1"
DAYS = 365  # the longest period the dashboard offers: at 5M a county passes the row cap


def _county_id(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT unit_id FROM users WHERE username = %s", (OFFICER,)).fetchone()[0]


def _worker_pid(server: Server) -> int:
    pids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.proc.pid)],
                          capture_output=True, text=True).stdout.split()
    return int(pids[0])


def download(server: Server, session, path: str) -> dict:
    """One download, timed, with the worker's resident set watched while it runs."""
    pid = _worker_pid(server)
    before = rss_mb(pid)
    peak, watching = [before], [True]

    def watch():
        while watching[0]:
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    first = None
    size = 0
    with session.get(server.url + path, stream=True, timeout=600) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_content(64 * 1024):
            if first is None and chunk:
                first = time.perf_counter()
            size += len(chunk)
    whole = time.perf_counter() - started
    watching[0] = False
    watcher.join()
    return {"first_byte_ms": round((first - started) * 1000, 1), "seconds": round(whole, 2),
            "mb": round(size / 1e6, 1), "rss_before_mb": before, "rss_peak_mb": peak[0],
            "growth_mb": round(peak[0] - before, 1)}


def rows_of(server: Server, session, path: str) -> int:
    with session.get(server.url + path, timeout=600) as answer:
        return answer.content.count(b"\n") - 1  # the header line


def measure(url: str, days: int, log=print) -> dict:
    from bench.run import app_env

    county = _county_id(url)
    out = {}
    # One worker: the resident set watched is the one doing the work.
    with Server("wsgi:app", app_env(url), workers=1) as server:
        session = login(server.url, OFFICER, PASSWORD)
        session.get(server.url + f"/stats/units/{county}", timeout=120)  # warm: imports, pools
        for fmt in ("csv", "xlsx"):
            path = f"/stats/units/{county}/export/requests.{fmt}?days={days}"
            out[fmt] = download(server, session, path)
            log(f"{url.rsplit('/', 1)[1]} {fmt}: {out[fmt]}")
        out["rows"] = rows_of(server, session, f"/stats/units/{county}/export/requests.csv?days={days}")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.bench_export")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "50000 5000000"))
    parser.add_argument("--days", type=int, default=DAYS)
    args = parser.parse_args(argv)
    results = {}
    for n in (int(s) for s in args.sizes.split()):
        url, _summary = cities.ensure_city(n, lambda m: print(m, file=sys.stderr))
        results[n] = measure(url, args.days, lambda m: print(m, file=sys.stderr))
    print(table(results))


def table(results: dict) -> str:
    lines = ["| city | format | rows | first byte, ms | whole, s | MB | worker RSS before → peak, MB |",
             "|---|---|---|---|---|---|---|"]
    for n, r in results.items():
        for fmt in ("csv", "xlsx"):
            x = r[fmt]
            lines.append(f"| {n:,} | {fmt} | {r['rows']:,} | {x['first_byte_ms']} | {x['seconds']} | "
                         f"{x['mb']} | {x['rss_before_mb']} → {x['rss_peak_mb']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
