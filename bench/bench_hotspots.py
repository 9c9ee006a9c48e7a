"""The daily hotspot job at city scale: its time, the rows it reads, and the plan of its
window query (it must range-scan ix_tickets_submitted_at, not read the whole table).

    python -m bench.bench_hotspots --database-url URL [--database-url URL2] [--now ISO]

Each run is rolled back, so a city can be measured again. With two cities (small,
big) it prints the ratio of the two times beside the ratio of the rows read in the
window and of the requests held: the job's time follows the window, not the history.
`make bench` runs it on its two cities (bench/figures.py).
"""
import argparse
import json
import time
from datetime import datetime

from sqlalchemy import func, select, text

RUNS = 3


def run(database_url: str, now: datetime | None = None) -> dict:
    from bench.city.citygen import make_app
    from community.core.extensions import db
    from community.hotspots.detect import Settings, find_hotspots, window_query
    from community.tickets.models import Ticket
    from community.core.timeutil import as_utc

    app = make_app(database_url)
    with app.app_context():
        if now is None:  # the city's own "now": its newest request
            now = as_utc(db.session.scalar(select(func.max(Ticket.submitted_at))))
        settings = Settings.from_config()
        total = db.session.scalar(select(func.count(Ticket.id)))
        from datetime import timedelta

        statement = window_query(now - timedelta(days=settings.days), now).compile(
            db.engine, compile_kwargs={"literal_binds": True})
        plan = []
        if db.engine.dialect.name == "postgresql":
            plan = db.session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}")).scalars().all()
        db.session.rollback()
        times = []
        for _ in range(RUNS):  # the best of RUNS: a busy machine slows a run, never speeds it
            started = time.monotonic()
            result = find_hotspots(now, settings)
            times.append(time.monotonic() - started)
            db.session.rollback()  # measured, not kept
    return {"requests": total, "now": now.isoformat(), "seconds": round(min(times), 3),
            "runs": [round(t, 3) for t in times], **result,
            "uses_index": any("ix_tickets_submitted_at" in line for line in plan),
            "seq_scan_tickets": any("Seq Scan on tickets" in line for line in plan), "plan": plan}


def measure(urls: dict, log=print) -> dict:
    """`make bench`: each city of the run (small, big), then the ratios."""
    out = {}
    for key, url in urls.items():
        try:
            out[key] = run(url)
        except Exception as exc:  # someone else's city: report, don't stop the run
            out[key] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        log(f"hotspots {key}: { {k: v for k, v in out[key].items() if k != 'plan'} }")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", action="append", required=True)
    parser.add_argument("--now", help="ISO 8601 (default: each city's newest request)")
    args = parser.parse_args(argv)
    from community.core.timeutil import as_utc

    now = as_utc(datetime.fromisoformat(args.now)) if args.now else None
    results = [run(url, now) for url in args.database_url]
    for result in results:
        print(json.dumps({k: v for k, v in result.items() if k != "plan"}))
        print("\n".join(result["plan"]))
    if len(results) == 2 and all(r["seconds"] for r in results):
        small, big = results
        print(json.dumps({"time_ratio": round(big["seconds"] / small["seconds"], 2),
                          "window_ratio": round(big["read"] / max(small["read"], 1), 2),
                          "history_ratio": round(big["requests"] / max(small["requests"], 1), 2)}))


if __name__ == "__main__":
    main()
