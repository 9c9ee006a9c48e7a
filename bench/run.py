"""`make bench`: every benchmark in one run, one table of figures and ratios.

    python -m bench.run [--sizes "50000 5000000"] [--quick] [--skip-peer] [--only search|replica|survey]

--only (make bench ONLY=…) runs one group of rows alone, on both cities: `search` the
staff search per kind of query beside the grid queue of the same server (issue 24);
`replica` the dashboards on the read replica vs the primary under a filing load
(bench/bench_replica.py, issue 31; skipped with its reason when no standby answers);
`survey` every GET route × every role on both cities, p95 side by side
(bench/bench_survey.py, issue 30), its whole table.

Env: BENCH_SIZES (two sizes, small then big; default "50000 5000000"),
BENCH_QUICK=1 (5,000 vs 50,000 and shorter runs), BENCH_SECONDS / BENCH_SAMPLES (load
window and latency samples), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/7; the bench flushes that db). Databases: bench_<size>
on the local PostgreSQL (bench/city/cities.py, kept between runs), bench_helpdesk
for the peer. Writes the table to stdout and bench/.cache/last.json.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone

from bench import figures
from bench.city import cities
from bench.apps import peer
from .httpbench import Server

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
# Limits meant for real callers would throttle the load client.
UNLIMITED = {"COMMUNITY_API_RATE": "1000000 per minute", "COMMUNITY_API_IP_RATE": "1000000 per minute",
             "COMMUNITY_API_FILING_RATE": "1000000 per minute",
             "COMMUNITY_LOGIN_RATE": "1000000 per minute", "COMMUNITY_FILING_RATE": "1000000 per hour",
             "COMMUNITY_TRACKING_RATE": "1000000 per minute", "SECRET_KEY": "bench-secret"}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def app_env(url: str) -> dict:
    return {"DATABASE_URL": url, "REDIS_URL": REDIS, **UNLIMITED}


def measure_city(url: str, summary: dict, seconds: float, samples: int, results: dict, key: str):
    """Filing throughput (ours and the bare INSERT), queue p95, RSS, on one city."""
    before = cities.marks(url)
    env = app_env(url)
    try:
        tokens, bodies = figures.filing_clients(url, CLIENTS)
        with Server("wsgi:app", env, WEB_WORKERS) as web:
            # The queue first: the filings below land in the sampled grids' queues, and
            # the city's own queues are what the two sizes should compare.
            queue = figures.queue_latency(web.url, summary, samples)
            pages = figures.officer_pages(web.url, samples)
            search = figures.staff_search(web.url, url, samples)
            filing = figures.measured(web, figures.filing_call(web.url, tokens, bodies), CLIENTS,
                                      seconds)
            web_rss = web.worker_rss_mb()
        worker_rss, relayed = figures.worker_rss(url, env, seconds=min(seconds, 15))
        bare, inapp = figures.bare_throughput(url, bodies, CLIENTS, seconds, WEB_WORKERS,
                                              inapp_env=env, tokens=tokens)
        try:
            floor = figures.floor_throughput(url, REDIS, tokens, bodies, CLIENTS, seconds, WEB_WORKERS)
        except Exception as exc:  # a reference figure: report it, keep the platform's figures
            floor = {"error": f"{type(exc).__name__}: {exc}"[:300], "per_second": None}
    finally:
        deleted = cities.restore(url, before)
        figures.flush_redis(REDIS)
    results[key] = {"filing": filing, "bare": bare, "inapp": inapp, "floor": floor, "queue": queue, "pages": pages, "search": search, "web_rss_mb": web_rss,
                    "worker_rss_mb": worker_rss, "worker_jobs": relayed, "undone": deleted}
    log(f"{key}: filing {filing['per_second']}/s, bare {bare['per_second']}/s, "
        f"floor {floor['per_second']}/s, "
        f"queue p95 {queue['p95_ms']} ms, "
        f"search p95 {', '.join(str(v['p95_ms']) for v in search.values())} ms, web {web_rss} MB, worker {worker_rss} MB")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "50000 5000000"))
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--only", choices=ONLY, default=os.environ.get("BENCH_ONLY") or None)
    args = parser.parse_args(argv)
    sizes = [5000, 50000] if args.quick else [int(s) for s in args.sizes.split()]
    small, big = sizes[0], sizes[-1]
    seconds, samples = (6, 40) if args.quick else (15, 200)
    seconds = float(os.environ.get("BENCH_SECONDS", seconds))
    samples = int(os.environ.get("BENCH_SAMPLES", samples))
    started = time.monotonic()
    results = {"sizes": [small, big], "quick": args.quick}
    if args.only:
        return only(args.only, results, seconds, samples, started)
    urls = {}
    for key, n in (("small", small), ("big", big)):
        urls[key], summary = cities.ensure_city(n, log)
        results.setdefault("summary", {})[key] = {k: summary.get(k) for k in ("requests", "events", "users")}
        measure_city(urls[key], summary, seconds, samples, results, key)
    results["sweep"] = figures.sweep(urls, REDIS, log)
    results["dashboard"] = figures.dashboard(urls, log)
    results["hotspots"] = figures.hotspots(urls, log)
    results["export"] = export(urls)
    results["replica"] = replica(urls, seconds)
    results["survey"] = survey(urls)
    if not args.skip_peer:
        results["peer"] = peer.run(seconds=seconds, clients=CLIENTS, workers=WEB_WORKERS,
                                   escalate=200 if args.quick else 500, log=log)
        results["ours_escalation"] = results["sweep"]
    finish(results, started)


ONLY = ("search", "replica", "survey")


def only(name: str, results: dict, seconds: float, samples: int, started: float):
    """One group of rows alone (`--only`), on each city, then the same table with just them."""
    results["only"] = name
    urls = {}
    for key, n in zip(("small", "big"), results["sizes"]):
        urls[key], _summary = cities.ensure_city(n, log)
        if name == "search":
            results[key] = search_rows(urls[key], samples)
    if name == "replica":
        results["replica"] = replica(urls, seconds)
    if name == "survey":
        results["survey"] = survey(urls)
    finish(results, started, suffix=f"-{name}")


def search_rows(url: str, samples: int) -> dict:
    """Staff search per kind of query, and the grid queue of the same server as its baseline."""
    with Server("wsgi:app", app_env(url), WEB_WORKERS) as web:
        queue = figures.queue_latency(web.url, {}, samples)
        search = figures.staff_search(web.url, url, samples)
    log(f"{url.rsplit('/', 1)[1]}: queue p95 {queue['p95_ms']} ms, search p95 "
        + ", ".join(f"{kind} {v['p95_ms']}" for kind, v in search.items()) + " ms")
    return {"queue": queue, "search": search}


def export(urls: dict) -> dict:
    from bench import bench_export

    return {key: bench_export.measure(url, bench_export.DAYS, log) for key, url in urls.items()}


def replica(urls: dict, seconds: float) -> dict:
    from bench import bench_replica

    distinct = {url: key for key, url in urls.items()}  # one city when both sizes are the same
    return bench_replica.measure({key: url for url, key in distinct.items()}, seconds, log,
                                 clients=CLIENTS, workers=WEB_WORKERS, redis_url=REDIS)


def survey(urls: dict) -> dict:
    """Every GET route × every role, both cities side by side (bench/bench_survey.py)."""
    from bench import bench_survey

    try:
        return bench_survey.measure_cities(urls, app_env, log=log)
    except Exception as exc:  # one group of rows: report it, keep the others
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}


def long_runs(results: dict) -> None:
    """The migrations' locks and the soak take longer than this run: their last figures."""
    from bench import bench_migration_locks

    results["migration_locks"] = bench_migration_locks.largest()
    soak = cities.ROOT / "instance" / "soak-last.json"
    if soak.exists():
        figures_ = json.loads(soak.read_text())
        figures_["date"] = datetime.fromtimestamp(soak.stat().st_mtime, timezone.utc).isoformat(timespec="minutes")
        results["soak"] = figures_


def finish(results: dict, started: float, suffix: str = "") -> None:
    if not results.get("only"):
        long_runs(results)
    results["machine"] = machine()
    results["seconds"] = round(time.monotonic() - started)
    table = figures.table(results)
    print(table)
    (cities.CACHE / f"last{suffix}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    (cities.CACHE / f"last{suffix}.txt").write_text(table + "\n")


def machine() -> dict:
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    return {"nproc": os.cpu_count(), "ram_gb": round(int(mem) / 1024 / 1024, 1),
            "postgres": out(["psql", "-h", cities.HOST, "-d", "postgres", "-tAc", "SHOW server_version"]),
            "redis": out(["redis-cli", "-h", "127.0.0.1", "INFO", "server"]).split("redis_version:")[-1].split()[0]
            if out(["redis-cli", "-h", "127.0.0.1", "PING"]) else "",
            "python": platform.python_version(), "load": os.getloadavg(),
            "commit": out(["git", "rev-parse", "HEAD"]), "date": datetime.now(timezone.utc).isoformat()}


if __name__ == "__main__":
    main()
