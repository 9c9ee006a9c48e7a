"""Importing a year's holidays at city scale: how long the one transaction takes that
recomputes every open deadline counting that year, and how many rows it writes.

    python -m bench.bench_calendar --database-url postgresql://postgres@127.0.0.1:5432/bench_calendar --open 20000

Builds a small city (bench.city.citygen) in that empty database, puts `--open` of its requests
in work since 2026-12-28 10:00 on a 7-working-day clock that runs into 2027 (not loaded:
provisional, 2027-01-07 00:00), then imports the example 2027 notice the way the admin's
"confirm" does (`yearbook.load_schedule`) and times it. Run it on a new database each time.
"""
import argparse
import json
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bench.city.citygen import make_app, populate

NOTICE = Path(__file__).resolve().parent.parent / "tests" / "data" / "notices" / "2027-example.txt"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--open", type=int, default=20_000, help="requests in work across the new year")
    args = parser.parse_args(argv)

    from community.core.extensions import db
    from community.sla import notice, yearbook
    from community.sla.models import CalendarYear
    from community.tickets.models import Ticket, TicketEvent
    from community.core.timeutil import as_utc

    accepted = as_utc(datetime(2026, 12, 28, 10, tzinfo=SHANGHAI))
    guessed = as_utc(datetime(2027, 1, 7, tzinfo=SHANGHAI))  # 1 January counted as a working day
    populate(args.database_url, args.open, now=datetime(2026, 12, 28, 2))
    app = make_app(args.database_url)
    with app.app_context():
        assert db.session.get(CalendarYear, 2027) is None, "2027 is already loaded in this database"
        ids = select(Ticket.id).order_by(Ticket.id).limit(args.open).scalar_subquery()
        db.session.execute(update(Ticket).where(Ticket.id.in_(ids)).values(
            state="accepted", accepted_at=accepted, resolve_started_at=accepted,
            resolve_working_days=7, resolve_due_at=guessed, resolve_due_provisional=True,
            sla_flags=0))
        db.session.commit()
        events_before = db.session.scalar(select(func.count(TicketEvent.id)))
        schedule = notice.parse(NOTICE.read_text(encoding="utf-8"))
        started = time.monotonic()
        loaded = yearbook.load_schedule(schedule, None, accepted, source="import")
        db.session.commit()
        seconds = time.monotonic() - started
        still = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.resolve_due_provisional.is_(True)))
        events = db.session.scalar(select(func.count(TicketEvent.id))) - events_before
    print(json.dumps({"open_across_new_year": args.open, "recomputed": loaded.recomputed.get("tickets", 0),
                      "moved": loaded.recomputed.get("moved", 0), "still_provisional": still,
                      "events_written": events, "seconds": round(seconds, 2),
                      "per_request_ms": round(seconds * 1000 / max(args.open, 1), 2)}, indent=1))


if __name__ == "__main__":
    main()
