"""The benchmark city generator (bench/city/citygen.py) at a tiny scale, so it does not rot."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select, text

from bench.city.citygen import generate
from community.core.extensions import db
from community.tickets.models import Ticket, TicketEvent
from community.tickets.states import FINISHED, OPEN

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai


def _rollup_rows(table, days):
    rows = [r for r in db.session.execute(text(f"SELECT * FROM {table}")).mappings()
            if str(r["day"]) in {str(d) for d in days}]
    return sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k not in ("id", "updated_at")))
                  for r in rows)


@pytest.mark.parametrize("workers", [1, 2])
def test_small_city_is_consistent(app, workers):
    # workers=2 loads two runs of days one after the other in this process: the
    # figures counted for a day the other run writes go through the spill table.
    summary = generate(db.engine, 200, due_now=6, now=NOW, seed=3, size=(2, 4, 8, 20),
                       workers=workers, fork=False)
    assert summary["requests"] == 200
    assert summary["units"] == 2 + 4 + 8 + 20 + 2 * 5
    assert summary["due_now"] == 6

    tickets = list(db.session.scalars(select(Ticket)))
    assert len({t.tracking_code for t in tickets}) == 200
    assert all(len(t.tracking_code) == 16 for t in tickets)  # 80 random bits
    # Only the due ones have a mark (the sweep's cursor) at or before now, all within the
    # last minute; the breached ones are also past a deadline.
    due = [t for t in tickets if t.sla_check_at and t.sla_check_at <= NOW]
    assert len(due) == 6 and all(t.state in OPEN for t in due)
    assert all((NOW - t.sla_check_at).total_seconds() < 60 for t in due)
    overdue = {t.id for t in tickets if t.next_due_at is not None and t.next_due_at <= NOW}
    assert overdue and overdue <= {t.id for t in due}
    last = {}
    for e in db.session.scalars(select(TicketEvent).where(TicketEvent.to_state.is_not(None))
                                .order_by(TicketEvent.at, TicketEvent.id)):
        last[e.ticket_id] = e
    for t in tickets:
        assert last[t.id].to_state == t.state and last[t.id].at <= NOW
        assert t.submitted_at <= t.arrived_at <= NOW
        assert (t.next_due_at is None) == (t.state in FINISHED)
        if t.state == "closed":
            assert t.closed_at and t.resolved_at and t.result
        if t.state in ("accepted", "in_progress", "reopened"):
            assert t.assignee_id and t.resolve_due_at and t.accepted_at

    # Ratings, cases and appeals carry their request's handling unit, ratings their
    # resolution's unit (0036), as ratings.services writes them.
    for sql in ("SELECT count(*) FROM ratings g JOIN tickets t ON t.id = g.ticket_id "
                "JOIN resolutions s ON s.id = g.resolution_id WHERE g.handling_unit_id IS NULL "
                "OR g.handling_unit_id <> t.handling_unit_id OR g.resolution_unit_id <> s.unit_id",
                "SELECT count(*) FROM rectification_cases c JOIN tickets t ON t.id = c.ticket_id "
                "WHERE c.handling_unit_id IS NULL OR c.handling_unit_id <> t.handling_unit_id",
                "SELECT count(*) FROM appeals a JOIN ratings g ON g.id = a.rating_id "
                "WHERE a.handling_unit_id IS NULL OR a.handling_unit_id <> g.handling_unit_id"):
        assert db.session.execute(text(sql)).scalar() == 0, sql
    assert db.session.execute(text("SELECT count(*) FROM ratings")).scalar() > 0

    # The figures counted while generating match the set-based rebuild over every day
    # (bench.city.cityfigures.build_rollups, used for kept cities) …
    from bench.city.cityfigures import build_rollups
    from community.stats.rollup import rebuild_day

    everything = {row[0] for row in db.session.execute(text("SELECT DISTINCT day FROM stat_daily"))}
    counted = {t: _rollup_rows(t, everything) for t in ("stat_daily", "stat_category_daily")}
    assert len(counted["stat_daily"]) == summary["rollup_rows"]
    at = NOW.replace(tzinfo=None)
    with db.engine.begin() as conn:
        build_rollups(conn, at if conn.dialect.name == "postgresql" else str(at), 8)
    db.session.expire_all()
    assert counted == {t: _rollup_rows(t, everything) for t in ("stat_daily", "stat_category_daily")}

    # … and the stats package's own rebuild, on the busiest days (a day of returns,
    # reopenings and 差评 among them).
    days = [row[0] for row in db.session.execute(text(
        "SELECT day FROM stat_daily GROUP BY day ORDER BY sum(filed + resolved + returned "
        "+ reopened + dissatisfied + very_dissatisfied + appeals_upheld) DESC, day LIMIT 12"))]
    assert days
    mine = {t: _rollup_rows(t, days) for t in ("stat_daily", "stat_category_daily")}
    for day in days:
        rebuild_day(day if not isinstance(day, str) else date.fromisoformat(day), NOW)
    db.session.flush()
    assert mine == {t: _rollup_rows(t, days) for t in ("stat_daily", "stat_category_daily")}


def test_indexes_dropped_for_a_bulk_load_come_back_on_every_partition(app):
    """bench_5m's ticket_events lost their (ticket_id, at) index: a partitioned table's index
    is listed as "ON ONLY" and, built again so, covered the parent alone (INVALID)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: partitions and pg_indexes (CI's second pass runs it)")
    from bench.city.bulkload import BulkLoader, build_indexes

    with db.engine.connect() as conn:
        loader = BulkLoader(conn)
        indexes = loader.drop_indexes(["ticket_events"])
        conn.commit()
    assert indexes and all(" ON ONLY " not in statement for _table, statement in indexes)
    build_indexes(db.engine, indexes)
    with db.engine.connect() as conn:
        invalid = conn.execute(text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).scalar()
        bare = conn.execute(text(
            "SELECT count(*) FROM pg_inherits h WHERE h.inhparent = 'ticket_events'::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = h.inhrelid "
            "AND NOT x.indisprimary)")).scalar()
    assert invalid == 0 and bare == 0
