"""Dashboards on the read replica vs on the primary, under a filing load (issue 31).

    python -m bench.bench_replica [--sizes "50000 5000000"] [--seconds 15] [--rounds 1]
    make bench ONLY=replica                      (the same, through bench/run.py)

Needs a streaming standby of the local PostgreSQL (`make standby`: 127.0.0.1:5433;
BENCH_REPLICA_URL names another server). Without one the row is skipped and says why.

For each city and each routing, two gunicorn apps with the same settings: one takes
the filing load (POST /api/v1/requests, 8 clients, 4 workers, as `make bench`), the
other the dashboards (street and county officers' /stats/units/<id>, rotating over ten
units of each tier, as many clients as workers (2), so the p95 is service
time, not a wait in the queue). Routing "primary": no DATABASE_REPLICA_URL.
Routing "replica": DATABASE_REPLICA_URL = the standby's copy of the same city, so the
dashboards' SELECTs go there (community/core/replica.py) and filings stay on the primary.

Per routing: filing/s alone, then filing/s with the dashboards busy in the same window,
and the dashboards' p95 under that load; also the CPU the primary's and the standby's
backends spent on the city's database in the busy window (read from /proc of the
backends, so run it as root or as postgres), and the standby's transactions in it, which
show that the reads did land there (a paused or lagging standby sends them back).
On one machine the standby shares the CPUs with everything else: what the replica takes
off the primary is its query work, not the web processes' CPU.

Pinned (`--pin`, BENCH_REPLICA_PIN=1): two hosts played by two cores. The primary
PostgreSQL, the filing gunicorn and the filing clients (this process) run on core 0; the
standby, the dashboards' gunicorn and the dashboard clients (a process of their own, so
they do not take the filing clients' GIL) on core 1 (sched_setaffinity; restored after).
With the dashboards on the replica nothing of theirs runs on core 0, as on separate hosts;
on the primary their queries do. Needs root (the servers' processes are pinned).

Env: BENCH_REPLICA_URL (default postgresql://127.0.0.1:5433, the database name is the
city's), BENCH_REPLICA_ROUNDS (1: primary then replica; 2: and again), BENCH_DASH_CLIENTS
(2), BENCH_DASH_WORKERS (2), BENCH_SECONDS (15, each filing window).
"""
import argparse
import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

import psycopg
import requests

from bench import figures
from bench.city import cities
from bench.city.cityrows import PASSWORD
from bench.httpbench import Server, _p95, login, throughput

REPLICA = os.environ.get("BENCH_REPLICA_URL", "postgresql://127.0.0.1:5433")
DASH_CLIENTS = int(os.environ.get("BENCH_DASH_CLIENTS", "2"))  # one per dashboard worker: no queue
DASH_WORKERS = int(os.environ.get("BENCH_DASH_WORKERS", "2"))
ROUTINGS = ("primary", "replica")
ROUNDS = int(os.environ.get("BENCH_REPLICA_ROUNDS", "1"))  # primary, replica, primary, replica …
PIN = os.environ.get("BENCH_REPLICA_PIN") == "1"
FILING_CORE, DASHBOARD_CORE = {0}, {1}
NO_DROP = 0.9  # filing/s with dashboards busy ÷ without, replica routing: the "must not drop"


def replica_url(primary_url: str) -> str:
    return f"{REPLICA.rstrip('/')}/{primary_url.rsplit('/', 1)[1]}"


def standby_problem(primary_url: str) -> str | None:
    """Why the standby cannot serve this city's reads, or None when it can."""
    url = replica_url(primary_url)
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
            paused = conn.execute("SELECT pg_is_wal_replay_paused()").fetchone()[0] if in_recovery else False
    except psycopg.Error as exc:
        return f"no standby answers at {url} ({str(exc).strip().splitlines()[0][:120]}); `make standby` starts one"
    if not in_recovery:
        return f"{url} is not a standby (pg_is_in_recovery() is false)"
    if paused:
        return f"{url}: replay is paused (pg_wal_replay_pause(), a replica test?)"
    return None


def wait_replayed(primary_url: str, timeout: float = 120) -> float:
    """Wait until the standby has replayed what the primary wrote so far; seconds waited."""
    started = time.monotonic()
    with psycopg.connect(primary_url, autocommit=True) as primary:
        target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    with psycopg.connect(replica_url(primary_url), autocommit=True) as standby:
        while time.monotonic() - started < timeout:
            behind = standby.execute("SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn())",
                                     (target,)).fetchone()[0]
            if behind is not None and behind <= 0:
                break
            time.sleep(0.2)
    return round(time.monotonic() - started, 1)


def backend_cpu(url: str) -> dict:
    """CPU seconds so far of each backend connected to `url`'s database, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return out


def transactions(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                            "WHERE datname = current_database()").fetchone()[0]


class Probe:
    """CPU of a server's backends on one database, and its transactions, over a window."""

    def __init__(self, url):
        self.url = url

    def start(self):
        self.cpu, self.xacts = backend_cpu(self.url), transactions(self.url)

    def stop(self) -> dict:
        cpu, xacts = backend_cpu(self.url), transactions(self.url)
        used = sum(max(0.0, seconds - self.cpu.get(pid, 0.0)) for pid, seconds in cpu.items())
        return {"cpu_s": round(used, 2), "transactions": xacts - self.xacts - 2}  # minus the probes'


def _tasks(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def pin(pid: int, cpus: set) -> None:
    """A process, its threads and its children (existing ones; later ones inherit it)."""
    for one in [pid] + _children(pid):
        for task in _tasks(one):
            try:
                os.sched_setaffinity(task, cpus)
            except OSError:
                pass


def postmaster(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        directory = conn.execute("SHOW data_directory").fetchone()[0]
    return int(Path(directory, "postmaster.pid").read_text().split()[0])


def _dashboard_process(base: str, url: str, stop, ready, out):
    """The dashboard clients in a process of their own, on the dashboards' core."""
    os.sched_setaffinity(0, DASHBOARD_CORE)
    sessions = _dashboard_sessions(base, url)
    for session, path in sessions:
        session.get(base + path, timeout=60)
    times: list = []
    threads = _busy_dashboards(base, sessions, stop, times)
    ready.set()
    stop.wait()
    for thread in threads:
        thread.join(70)
    out.put(times)


def _dashboard_sessions(base: str, url: str) -> list[tuple[requests.Session, str]]:
    """Ten street and ten county officers, each signed in, with their dashboard's path."""
    names = [f"k{c:02d}s01_1" for c in range(1, 11)] + [f"k{c:02d}_1" for c in range(1, 11)]
    with psycopg.connect(url) as conn:
        units = dict(conn.execute("SELECT username, unit_id FROM users WHERE username = ANY(%s)",
                                  (names,)).fetchall())
    return [(login(base, name, PASSWORD), f"/stats/units/{units[name]}") for name in names if name in units]


def _busy_dashboards(base: str, sessions, stop: threading.Event, times: list):
    """DASH_CLIENTS threads asking for dashboards until `stop`: (start, end, tier) each."""
    def loop(i):
        turn = i
        while not stop.is_set():
            session, path = sessions[turn % len(sessions)]
            tier = "street" if turn % len(sessions) < len(sessions) // 2 else "county"
            turn += DASH_CLIENTS
            t0 = time.monotonic()
            ok = session.get(base + path, timeout=60).status_code == 200
            times.append((t0, time.monotonic(), tier if ok else "errors"))
    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(DASH_CLIENTS)]
    for thread in threads:
        thread.start()
    return threads


def measure_routing(url: str, routing: str, seconds: float, clients: int, workers: int, redis_url: str,
                    tokens, bodies, log) -> dict:
    from bench.run import app_env

    env = {**app_env(url), "REDIS_URL": redis_url}
    if routing == "replica":
        env["DATABASE_REPLICA_URL"] = replica_url(url)
    probes = {"primary": Probe(url), "standby": Probe(replica_url(url))}
    everything = set(range(os.cpu_count() or 1))
    with Server("wsgi:app", env, workers) as web, Server("wsgi:app", env, DASH_WORKERS) as dash:
        if PIN:
            for pid, cpus in ((postmaster(url), FILING_CORE), (postmaster(replica_url(url)), DASHBOARD_CORE),
                              (web.proc.pid, FILING_CORE), (dash.proc.pid, DASHBOARD_CORE)):
                pin(pid, cpus)
            os.sched_setaffinity(0, FILING_CORE)
        try:
            times, window = [], {}
            if not PIN:
                sessions = _dashboard_sessions(dash.url, url)
                for session, path in sessions:  # warm the dashboard workers (and pass the sign-in's sticky seconds)
                    session.get(dash.url + path, timeout=60)
            quiet = Probe(url)
            alone = throughput(figures.filing_call(web.url, tokens, bodies), clients, seconds, on_open=quiet.start)
            quiet_used = quiet.stop()
            stop = threading.Event()
            if PIN:
                context = multiprocessing.get_context("fork")
                stop, ready, box = context.Event(), context.Event(), context.Queue()
                child = context.Process(target=_dashboard_process, args=(dash.url, url, stop, ready, box))
                child.start()
                ready.wait(120)
                threads = []
            else:
                threads = _busy_dashboards(dash.url, sessions, stop, times)
            time.sleep(1)  # the dashboards are running before the filing window opens

            def open_window():  # when the filing clients have warmed up: the CPU probes too
                for probe in probes.values():
                    probe.start()
                window["start"] = time.monotonic()
            busy = throughput(figures.filing_call(web.url, tokens, bodies), clients, seconds,
                              on_open=open_window)
            window["stop"] = time.monotonic()
            used = {name: probe.stop() for name, probe in probes.items()}
            stop.set()
            if PIN:
                times = box.get(timeout=90)
                child.join(30)
            for thread in threads:
                thread.join(70)
        finally:
            if PIN:
                os.sched_setaffinity(0, everything)
                for pid in (postmaster(url), postmaster(replica_url(url))):
                    pin(pid, everything)
    # Dashboards that started and ended inside the filing window, as the CPU probes.
    inside = {"street": [], "county": [], "errors": []}
    for t0, t1, tier in times:
        if window["start"] <= t0 and t1 <= window["stop"]:
            inside[tier].append(t1 - t0)
    result = {"filing_alone": alone["per_second"], "filing_busy": busy["per_second"],
              "filing_errors": alone["errors"] + busy["errors"],
              "street_p95_ms": _p95(inside["street"]), "county_p95_ms": _p95(inside["county"]),
              "dashboards": len(inside["street"]) + len(inside["county"]), "dashboard_errors": len(inside["errors"]),
              "primary_cpu_s": used["primary"]["cpu_s"], "standby_cpu_s": used["standby"]["cpu_s"],
              "standby_transactions": used["standby"]["transactions"]}
    result["filing_ratio"] = round(result["filing_busy"] / result["filing_alone"], 2) if result["filing_alone"] else None
    filed = busy["ok"]
    result["primary_cpu_ms_per_filing"] = round(result["primary_cpu_s"] * 1000 / filed, 2) if filed else None
    result["primary_cpu_ms_per_filing_alone"] = (round(quiet_used["cpu_s"] * 1000 / alone["ok"], 2)
                                                 if alone["ok"] else None)
    # The primary's CPU the dashboards cost: what the busy window used beyond its filings at
    # the quiet window's cost per filing; and the standby's, when they read there.
    if result["dashboards"] and result["primary_cpu_ms_per_filing_alone"] is not None:
        extra = result["primary_cpu_s"] * 1000 - filed * result["primary_cpu_ms_per_filing_alone"]
        result["primary_cpu_ms_per_dashboard"] = round(extra / result["dashboards"], 1)
        result["standby_cpu_ms_per_dashboard"] = round(result["standby_cpu_s"] * 1000 / result["dashboards"], 1)
    log(f"replica bench {url.rsplit('/', 1)[1]}, dashboards on the {routing}: {result}")
    return result


def measure(urls: dict, seconds: float, log, rounds: int = ROUNDS, clients: int = 8, workers: int = 4,
            redis_url: str = "redis://127.0.0.1:6379/7") -> dict:
    """{size label: {routing: figures}} or {"skipped": reason}."""
    out = {}
    for key, url in urls.items():
        problem = standby_problem(url)
        if problem:
            log(f"replica bench skipped: {problem}")
            return {"skipped": problem}
        before = cities.marks(url)
        try:
            waited = wait_replayed(url)
            tokens, bodies = figures.filing_clients(url, clients)
            runs = {routing: [] for routing in ROUTINGS}
            for _ in range(rounds):  # primary first, then replica, and again: drift hits both alike
                for routing in ROUTINGS:
                    runs[routing].append(measure_routing(url, routing, seconds, clients, workers, redis_url,
                                                         tokens, bodies, log))
            out[key] = {"database": url.rsplit("/", 1)[1], "replay_wait_s": waited, "rounds": runs}
        finally:
            cities.restore(url, before)
            figures.flush_redis(redis_url)
    return out


ROWS = (("filing req/s, no dashboards", "filing_alone"),
        ("filing req/s, dashboards busy", "filing_busy"),
        ("filing busy ÷ alone", "filing_ratio"),
        ("street dashboard p95 under filing load, ms", "street_p95_ms"),
        ("county dashboard p95 under filing load, ms", "county_p95_ms"),
        ("dashboards answered in the busy window", "dashboards"),
        ("primary backends' CPU in the busy window, s", "primary_cpu_s"),
        ("primary backends' CPU per filing, ms, no dashboards", "primary_cpu_ms_per_filing_alone"),
        ("primary backends' CPU per filing, ms, dashboards busy (their share in it)", "primary_cpu_ms_per_filing"),
        ("primary's CPU per dashboard, ms (busy minus filings at the quiet cost)", "primary_cpu_ms_per_dashboard"),
        ("standby's CPU per dashboard, ms", "standby_cpu_ms_per_dashboard"),
        ("standby backends' CPU in the busy window, s", "standby_cpu_s"),
        ("standby transactions in the busy window", "standby_transactions"))


def table(result: dict) -> str:
    """One table per city: each figure with the dashboards on the primary and on the replica."""
    if not result:
        return ""
    if "skipped" in result:
        return f"\nread replica rows skipped: {result['skipped']}"
    lines = []
    for key, city in result.items():
        rounds = city["rounds"]
        rows = []
        for name, field in ROWS:
            for n in range(len(rounds["primary"])):
                p, r = rounds["primary"][n].get(field), rounds["replica"][n].get(field)
                label = name if len(rounds["primary"]) == 1 else f"{name} (round {n + 1})"
                target, verdict = "", ""
                if field == "filing_ratio":
                    target = f"replica ≥ {NO_DROP}×"
                    verdict = "" if r is None else ("PASS" if r >= NO_DROP else "MISS")
                ratio = round(r / p, 2) if isinstance(p, (int, float)) and p and r is not None else ""
                rows.append((label, p, r, ratio, target, verdict))
        head = (f"read replica, {city['database']}", "dashboards on primary", "on replica", "replica ÷ primary",
                "target", "")
        widths = [max(len(str(x[i])) for x in rows + [head]) for i in range(6)]
        fmt = lambda x: "| " + " | ".join(str("" if v is None else v).ljust(w) for v, w in zip(x, widths)) + " |"
        lines += ["", fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [fmt(x) for x in rows]
    return "\n".join(lines)


def main(argv=None):
    from bench.run import CLIENTS, REDIS, WEB_WORKERS, log

    parser = argparse.ArgumentParser(prog="python -m bench.bench_replica")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "50000 5000000"))
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 15)))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--pin", action="store_true", help="the two hosts played by two cores (see above)")
    args = parser.parse_args(argv)
    if args.pin:
        global PIN
        PIN = True
    urls = {}
    for n in dict.fromkeys(int(s) for s in args.sizes.split()):
        urls[cities.label(n)], _summary = cities.ensure_city(n, log)
    result = measure(urls, args.seconds, log, args.rounds, CLIENTS, WEB_WORKERS, REDIS)
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
