"""The retention job at city scale: rows per second, the longest batch (the longest any
row lock is held), and a second run that finds nothing to do.

    python -m bench.bench_retention --database-url postgresql://postgres@127.0.0.1:5432/bench_retention_5000000

Build the city first with its requests old enough that a good share closed more than
three years ago, e.g. two years of requests ending two years ago:

    python -m bench.city.citygen --database-url URL --requests 5000000 --now 2024-12-07T00:00:00

The run anonymises that database's old requests for good (rebuild it to measure again).
"""
import argparse
import json
import time

from sqlalchemy import func, select, text

from bench.city.citygen import make_app


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--now", help="ISO 8601 (default: the clock)")
    args = parser.parse_args(argv)

    from community.core.extensions import db
    from community.privacy.retention import run_retention
    from community.tickets.models import Ticket
    from community.core.timeutil import as_utc, utcnow

    from datetime import datetime

    now = as_utc(datetime.fromisoformat(args.now)) if args.now else utcnow()
    app = make_app(args.database_url)
    with app.app_context():
        total = db.session.scalar(select(func.count(Ticket.id)))
        plan = db.session.execute(text(
            "EXPLAIN SELECT id FROM tickets WHERE anonymised_at IS NULL AND closed_at IS NOT NULL "
            "AND closed_at < now() - interval '3 years' ORDER BY closed_at LIMIT 1000")).scalars().all()
        db.session.commit()
        first = run_retention(now, batch=args.batch)
        started = time.monotonic()
        second = run_retention(now, batch=args.batch)
        second_seconds = time.monotonic() - started
        left = db.session.scalar(select(func.count(Ticket.id)).where(
            Ticket.anonymised_at.is_(None), Ticket.closed_at < first.cutoff))
    result = {
        "requests": total, "cutoff": first.cutoff.isoformat(), "due": first.due,
        "anonymised": first.anonymised, "batches": first.batches, "seconds": round(first.seconds, 1),
        "rows_per_second": round(first.rows_per_second), "longest_batch_ms": round(first.longest_batch * 1000),
        "median_batch_ms": round(sorted(first.batch_seconds)[len(first.batch_seconds) // 2] * 1000)
        if first.batch_seconds else 0,
        "rerun_due": second.due, "rerun_anonymised": second.anonymised,
        "rerun_seconds": round(second_seconds, 2), "left_after": left, "plan": plan[:3],
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
