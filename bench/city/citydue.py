"""Re-aim the due requests of an already generated city at a given `now`.

    python -m bench.city.citydue --database-url URL --now ISO [--count 1000]

For a city kept from an earlier run (or generated with an older generator):
the `count` requests the sweep finds due (sla_check_at <= now, else the
oldest stalled open ones) become what a sweep running every minute finds —
acceptance or resolution marks, warnings and breaches, that came due in the
last minute, every earlier mark recorded — with their submit/accept events
moved to match. Same clocks as bench.city.citylife.LifeMaker.make(stall=…).
"""
import argparse
import random
from datetime import datetime, timedelta, timezone

import psycopg

from bench.city.citylife import DUE_MODES

HOUR = 3600.0


def _fields(mode, mark, accept_s, resolve_s, response_s, ratio):
    if mode.startswith("accept"):
        sub = mark - (ratio if mode.endswith("warning") else 1.0) * accept_s
        accepted = None
    else:
        accepted = mark - (ratio if mode.endswith("warning") else 1.0) * resolve_s
        sub = accepted - 0.5 * accept_s
    clocks = []
    if accepted is None:
        clocks = [(sub, sub + response_s, 1, 2), (sub, sub + accept_s, 4, 8)]
    else:
        clocks = [(accepted, accepted + resolve_s, 16, 32)]
    flags, marks = 0, []
    for start, due, warned, breached in clocks:
        warn_at = start + (due - start) * ratio
        flags |= warned if warn_at < mark - 0.001 else 0
        flags |= breached if due < mark - 0.001 else 0
        marks.append(warn_at if not flags & warned else due)
    return {"submitted_at": sub, "arrived_at": sub, "accepted_at": accepted,
            "first_response_at": accepted, "response_due_at": sub + response_s,
            "accept_due_at": sub + accept_s,
            "resolve_due_at": None if accepted is None else accepted + resolve_s,
            "resolve_started_at": accepted, "next_due_at": min(c[1] for c in clocks),
            "sla_check_at": min(marks), "sla_flags": flags, "updated_at": accepted or sub}


def refresh_due(url: str, now: datetime, count: int = 1000, seed: int = 1, ratio: float = 0.75,
                response_hours: int = 24) -> int:
    rng = random.Random(seed)
    naive_now = now.astimezone(timezone.utc).replace(tzinfo=None)
    epoch = datetime(1970, 1, 1)
    now_s = (naive_now - epoch).total_seconds()
    stamp = (lambda s: None if s is None else epoch + timedelta(seconds=s))
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT t.id, t.state, t.urgency, c.sla_class, c.id FROM tickets t "
            "JOIN categories c ON c.id = t.category_id WHERE t.sla_check_at <= %s "
            "AND t.state IN ('submitted', 'accepted', 'in_progress') ORDER BY t.id LIMIT %s",
            (naive_now, count)).fetchall()
        policy = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
            "SELECT DISTINCT ON (sla_class) sla_class, accept_hours, resolve_amount, resolve_unit "
            "FROM sla_policies WHERE category_id IS NULL AND effective_from <= %s "
            "ORDER BY sla_class, effective_from DESC", (naive_now,)).fetchall()}
        seen = {"waiting": 0, "working": 0}
        for tid, state, urgency, sla_class, _cat in rows:
            side = "waiting" if state == "submitted" else "working"
            mode = DUE_MODES[(0 if side == "waiting" else 2) + seen[side] % 2]
            seen[side] += 1
            klass = "urgent" if side == "working" else ("urgent" if urgency == "urgent" else sla_class)
            accept_h, amount, unit = policy.get(klass, (24, 7, "working_days"))
            resolve_s = amount * HOUR if unit == "hours" else 7 * 86400
            f = _fields(mode, now_s - 50 * rng.random(), accept_h * HOUR, resolve_s,
                        response_hours * HOUR, ratio)
            values = {k: (v if k == "sla_flags" else stamp(v)) for k, v in f.items()}
            sets = ", ".join(f"{k} = %({k})s" for k in values)
            conn.execute(f"UPDATE tickets SET {sets} WHERE id = %(id)s", {**values, "id": tid})
            conn.execute("UPDATE ticket_events SET at = %s WHERE ticket_id = %s AND action = 'submit'",
                         (values["submitted_at"], tid))
            if values["accepted_at"] is not None:
                conn.execute("UPDATE ticket_events SET at = %s WHERE ticket_id = %s "
                             "AND action = 'accept'", (values["accepted_at"], tid))
    return len(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.city.citydue")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--now", required=True)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now)
    now = now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now
    print(refresh_due(args.database_url, now, args.count))


if __name__ == "__main__":
    main()
