"""Scheduling and loading the requests of a generated city, in one process or several.

Requests are filed day by day over two years up to `now` (weekdays busier,
a seasonal swell, growth over time, office hours), ids in filing order. A
big city is split into runs of days, each loaded by its own process and
transaction; each run owns a block of ids, so runs never collide.
"""
import gc
import math
import multiprocessing
import random
import time
from dataclasses import dataclass, field

from sqlalchemy import create_engine

from community.clock.calendar import is_working_day

from bench.city.bulkload import BulkLoader
from bench.city.cityfigures import CATEGORY_COLUMNS, DAILY_COLUMNS, SPILL, SPILL_COLUMNS, Tally
from bench.city.citylife import DAY, DUE_MODES, EVENT_COLUMNS, EXTENSION_COLUMNS, Deadlines, LifeMaker, stamp
from bench.city.cityratings import (APPEAL_COLUMNS, CASE_COLUMNS, RATING_COLUMNS, RESOLUTION_COLUMNS,
                          RatingMaker)

CHUNK = 50_000
HOUR_WEIGHTS = [1, .5, .3, .3, .3, .5, 1, 3, 6, 8, 8, 7, 5, 5, 7, 7, 7, 6, 5, 4, 3, 3, 2, 1.5]
RATING_ROWS = {"resolutions": RESOLUTION_COLUMNS, "ratings": RATING_COLUMNS,
               "rectification_cases": CASE_COLUMNS, "appeals": APPEAL_COLUMNS}
# Ids reserved per request for each run (averages: 5.4 events, 1 resolution, 0.65 ratings).
STRIDE = {"tickets": 1, "ticket_events": 12, "resolutions": 3, "ratings": 3}


@dataclass
class Part:
    days: list          # (local day number, requests that day)
    start: int          # index of its first request in the whole city
    first_ids: dict
    stalled: dict       # index -> one of citylife.DUE_MODES
    seed: int
    number: int


@dataclass
class Schedule:
    days: list
    stalled: dict
    plan: "Plan"

    def parts(self, count: int) -> list[Part]:
        total = sum(n for _d, n in self.days)
        parts, current, start, index = [], [], 0, 0
        for day, n in self.days:
            current.append((day, n))
            index += n
            if index >= total * (len(parts) + 1) / count and len(parts) < count - 1:
                parts.append(self._part(current, start, len(parts)))
                current, start = [], index
        parts.append(self._part(current, start, len(parts)))
        return parts

    def _part(self, days, start, number):
        first = {t: i + start * STRIDE[t] for t, i in self.plan.first_ids.items()}
        return Part(days, start, first, self.stalled, self.plan.seed * 1000 + number, number)


@dataclass
class Plan:
    city: object
    categories: list
    terms: dict
    now_s: float
    offset: int
    warn_ratio: float
    reopen_days: int
    review_days: tuple
    ratings: bool
    columns: list
    first_ids: dict
    seed: int
    extra: dict = field(default_factory=dict)
    figures: bool = False    # count the daily figures while generating (bench.city.cityfigures.Tally)
    updated_at: object = None  # their updated_at

    def schedule(self, requests: int, due_now: int, rng) -> Schedule:
        today = int((self.now_s + self.offset) // DAY)
        days = day_counts(requests, today, self.offset, self.now_s)
        # The due ones take the place of requests filed at least three days ago.
        settled = sum(n for d, n in days if d <= today - 3)
        due_now = min(due_now, settled)
        picked = sorted(rng.sample(range(max(0, settled - 4 * due_now), settled), due_now))
        stalled = {index: DUE_MODES[j % len(DUE_MODES)] for j, index in enumerate(picked)}
        return Schedule(days, stalled, self)


def day_counts(requests: int, today: int, offset: int, now_s: float) -> list[tuple[int, int]]:
    """(local day number, requests filed that day) over the two years up to today."""
    days = list(range(today - 729, today + 1))
    weights = []
    for i, d in enumerate(days):
        weekday = (d + 3) % 7  # day 0, 1970-01-01, was a Thursday
        w = (1.1 if weekday < 5 else 0.75) * (1 + 0.15 * math.sin(2 * math.pi * d / 365.25))
        w *= 0.9 + 0.2 * i / len(days)  # the hotline grows
        if d == today:
            w *= max(0.0, (now_s - (d * DAY - offset)) / DAY)
        weights.append(w)
    total = sum(weights)
    exact = [requests * w / total for w in weights]
    counts = [int(x) for x in exact]
    short = requests - sum(counts)
    for i in sorted(range(len(days)), key=lambda i: exact[i] - counts[i], reverse=True)[:short]:
        counts[i] += 1
    return list(zip(days, counts))


def _times(rng, n, day, offset, now_s):
    start = day * DAY - offset
    if start + DAY > now_s:  # today: up to now
        return sorted(start + rng.random() * (now_s - start) for _ in range(n))
    cumulative, acc = [], 0.0
    for w in HOUR_WEIGHTS:
        acc += w
        cumulative.append(acc)
    out = []
    for _ in range(n):
        x = rng.random() * acc
        hour = next(h for h, edge in enumerate(cumulative) if x < edge)
        out.append(start + hour * 3600 + rng.random() * 3600)
    out.sort()
    return out


def write_rows(loader, table, columns, rows):
    with loader.writer(table, columns) as write:
        for row in rows:
            write(row)


def load_part(loader, plan: Plan, part: Part, log, skip_fk_checks=False) -> int:
    """Generate and write one run of days; returns the requests written."""
    rng = random.Random(part.seed)
    maker = LifeMaker(plan.city, plan.categories, plan.terms, Deadlines(is_working_day, plan.offset),
                      plan.now_s, rng, warn_ratio=plan.warn_ratio, reopen_days=plan.reopen_days)
    if plan.ratings:
        maker.ratings = RatingMaker(maker, part.first_ids["resolutions"], part.first_ids["ratings"],
                                    *plan.review_days)
    tally = None
    if plan.figures:
        from bench.city.citylife import TICKET_COLUMNS

        tally = Tally({u[0]: u[3] for u in plan.city.units}, plan.offset, plan.updated_at,
                      part.days[0][0] if part.days else 0, TICKET_COLUMNS, RESOLUTION_COLUMNS,
                      RATING_COLUMNS, CASE_COLUMNS, APPEAL_COLUMNS)
        made = maker.ratings.rows
        made = made["resolutions"], made["ratings"], made["rectification_cases"], made["appeals"]
    tid, eid = part.first_ids["tickets"], part.first_ids["ticket_events"]
    width = len(plan.columns)
    ticket_rows, event_rows = [], []
    index, done = part.start, 0
    total = sum(n for _d, n in part.days)
    gc.freeze()  # millions of short-lived tuples and no cycles: the collector only costs here
    gc.disable()
    started = time.monotonic()
    try:
        for day, n in part.days:
            for sub in _times(rng, n, day, plan.offset, plan.now_s):
                if tally is not None:
                    before = [len(rows) for rows in made]
                row, events = maker.make(tid, sub, part.stalled.get(index))
                ticket_rows.append(row[:width])
                returned = False
                for at, actor, action, from_state, to_state, unit, public in events:
                    event_rows.append((eid, tid, stamp(at), actor, action, from_state, to_state,
                                       unit, "", public))
                    eid += 1
                    if action == "return":
                        returned = True
                if tally is not None:
                    tally.ticket(row, returned)
                    if len(made[0]) > before[0]:
                        tally.resolutions(*(rows[b:] for rows, b in zip(made, before)))
                tid += 1
                index += 1
                done += 1
                if len(ticket_rows) >= CHUNK:
                    _flush(loader, maker, plan.columns, ticket_rows, event_rows, tally)
                    rate = done / (time.monotonic() - started)
                    log(f"part {part.number}: {done}/{total} requests ({rate:,.0f}/s)")
            if tally is not None:
                tally.settle(day)
        if tally is not None:
            tally.close()
        _flush(loader, maker, plan.columns, ticket_rows, event_rows, tally)
    finally:
        gc.enable()
        gc.unfreeze()
    return done


def _flush(loader, maker, columns, ticket_rows, event_rows, tally=None):
    write_rows(loader, "tickets", columns, ticket_rows)
    write_rows(loader, "ticket_events", EVENT_COLUMNS, event_rows)
    write_rows(loader, "extension_requests", EXTENSION_COLUMNS, [tuple(r) for r in maker.extensions])
    if maker.ratings is not None:
        for table, rows in maker.ratings.rows.items():
            write_rows(loader, table, RATING_ROWS[table], rows)
            rows.clear()
    ticket_rows.clear()
    event_rows.clear()
    maker.extensions.clear()
    if tally is not None:
        for table, columns, rows in (("stat_daily", DAILY_COLUMNS, tally.daily),
                                     ("stat_category_daily", CATEGORY_COLUMNS, tally.category),
                                     (SPILL, SPILL_COLUMNS, tally.spill)):
            if rows:
                write_rows(loader, table, columns, rows)
                rows.clear()


def _run_one(url, plan, part, log):
    engine = create_engine(url)
    with engine.begin() as conn:
        loader = BulkLoader(conn)
        loader.fast_session(skip_fk_checks=True)
        load_part(loader, plan, part, log, skip_fk_checks=True)
    engine.dispose()


def run_parts(engine, plan: Plan, parts: list[Part], log) -> None:
    """One forked process per part, each in its own transaction (PostgreSQL only)."""
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose(close=False)  # children must not share the parent's pooled sockets
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_run_one, args=(url, plan, part, log)) for part in parts]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"citygen: {len(failed)} loading process(es) failed")
