"""History by month (issue 31, migration 0030; community.core.partitions).

On PostgreSQL ticket_events and notifications are partitioned by month: rows land in
their month's partition (or DEFAULT), the daily job makes the months ahead and moves
rows out of DEFAULT, retention drops a month of old messages whole. On SQLite the same
behaviour holds on plain tables; only the catalog checks are PostgreSQL's own.
"""
import logging
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from community.core import partitions
from community.core.extensions import db
from community.privacy.retention import run_retention
from community.tickets.models import TicketEvent
from community.workqueue.models import Notification
from tests.factories import daiban, file_ticket
from workers import jobs


@pytest.fixture(autouse=True)
def _jobs_use_this_app(app):
    jobs.use_app(app)


def _pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _where(table: str, row_id: int) -> str | None:
    """The partition holding a row (PostgreSQL), None on SQLite."""
    if not _pg():
        return None
    return db.session.execute(text(f"SELECT tableoid::regclass::text FROM {table} WHERE id = :id"),
                              {"id": row_id}).scalar()


def _message(people, at: datetime, text_: str = "通知") -> int:
    note = Notification(user_id=people.grid.id, text=text_, created_at=at, phone="", send_attempts=0)
    db.session.add(note)
    db.session.commit()
    return note.id


def test_the_history_tables_are_partitioned_by_month_on_postgresql(app):
    if not _pg():
        pytest.skip("PostgreSQL's catalog: SQLite keeps plain tables")
    found = dict(db.session.execute(text(
        "SELECT c.relname, p.partstrat FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace")).all())
    assert found == {"ticket_events": "r", "notifications": "r"}
    children = set(db.session.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'ticket_events' "
        "AND p.relnamespace = current_schema()::regnamespace")))
    assert "ticket_events_default" in children and any(c.startswith("ticket_events_p") for c in children)
    keys = db.session.execute(text(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_ticket_events' "
        "AND connamespace = current_schema()::regnamespace")).scalar()
    assert keys == "PRIMARY KEY (id, at)"


def test_not_partitioned_on_sqlite_and_the_job_does_nothing_there(app):
    if _pg():
        pytest.skip("SQLite's side of the same code")
    assert not partitions.is_partitioned(db.session.connection(), "ticket_events")
    assert jobs.partitions_job("2031-05-10T00:00:00+00:00") == {"created": [], "moved": 0, "waiting": {}}


def test_events_and_their_messages_land_in_their_month(app, people, areas):
    jobs.partitions_job("2032-03-05T00:00:00+00:00")  # March 2032 and three months after
    ticket = daiban(people, areas, now=_utc(2032, 4, 30, 23, 59))  # a text to the elder
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    note = db.session.scalar(select(Notification).where(Notification.event_id == event.id))
    assert note.event_at == event.at == note.created_at  # the link and its rule (0030)
    assert db.session.get(TicketEvent, event.id) is event  # the ORM still knows it by id
    if _pg():
        assert _where("ticket_events", event.id) == "ticket_events_p203204"
        assert _where("notifications", note.id) == "notifications_p203204"
    assert [e.action for e in ticket.events] == ["submit"]  # the timeline reads through


def test_the_job_makes_the_months_ahead_once(app):
    first = jobs.partitions_job("2031-05-10T00:00:00+00:00")
    again = jobs.partitions_job("2031-05-31T23:00:00+00:00")
    if not _pg():
        assert first["created"] == again["created"] == []
        return
    assert first["created"] == [f"{table}_p{month}" for table in ("ticket_events", "notifications")
                                for month in ("203105", "203106", "203107", "203108")]
    assert again["created"] == []  # idempotent
    assert partitions.add_months(partitions.month_of(_utc(2031, 5, 10)), 3) in \
        partitions.months(db.session.connection(), "notifications")


def test_a_month_without_its_partition_still_takes_rows_and_the_job_moves_them(app, client, people, areas, caplog):
    ticket = daiban(people, areas, now=_utc(2035, 1, 15, 8, 0))  # nobody made January 2035
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    note = db.session.scalar(select(Notification).where(Notification.event_id == event.id))
    if _pg():
        assert _where("ticket_events", event.id) == "ticket_events_default"
    with caplog.at_level(logging.WARNING, logger="community.core.partitions"):
        waiting = partitions.default_rows(db.session.connection())
    db.session.commit()
    metrics = client.get("/metrics").get_data(as_text=True)
    if _pg():
        assert waiting["ticket_events"] >= 1 and waiting["notifications"] >= 1
        assert "DEFAULT partition" in caplog.text
        assert 'community_partition_default_rows{table="ticket_events"}' in metrics
    else:
        assert "community_partition_default_rows" not in metrics
    done = jobs.partitions_job("2035-01-20T00:00:00+00:00")
    if _pg():  # moved in one transaction; the message still links to its event
        assert done["moved"] >= 2 and "ticket_events_p203501" in done["created"]
        assert _where("ticket_events", event.id) == "ticket_events_p203501"
        assert _where("notifications", note.id) == "notifications_p203501"
    db.session.expire_all()
    assert db.session.get(Notification, note.id).event.id == event.id


def test_retention_drops_a_whole_old_month_of_messages_and_deletes_the_rest(app, people, areas):
    if _pg():
        partitions.ensure_months(db.session.connection(), _utc(2023, 10, 1), ahead=2)
        db.session.commit()
    now = _utc(2026, 11, 23, 2, 0)  # cutoff: three years before, 2023-11-23 02:00
    _message(people, _utc(2023, 10, 5), "十月")        # its month ended before the cutoff
    _message(people, _utc(2023, 11, 10), "十一月上旬")   # before the cutoff, in its month
    _message(people, _utc(2023, 11, 30), "十一月下旬")   # after it
    _message(people, _utc(2023, 12, 1), "十二月")
    file_ticket(people, areas, now=_utc(2023, 10, 6))   # events stay: figures count them
    run = run_retention(now)
    kept = set(db.session.scalars(select(Notification.text)))
    assert kept == {"十一月下旬", "十二月"}
    if _pg():
        assert "notifications_p202310" in run.months_dropped and run.messages_deleted == 1
        assert partitions.month_of(_utc(2023, 10, 5)) not in partitions.months(
            db.session.connection(), "notifications")
    else:
        assert run.months_dropped == [] and run.messages_deleted == 2
    assert db.session.scalar(select(func.count(TicketEvent.id))) == 1
    again = run_retention(now)  # a second run finds nothing
    assert again.months_dropped == [] and again.messages_deleted == 0


def test_the_migration_keeps_the_new_table_current_while_it_copies(app):
    """0030's mirror trigger: writes made to the old table during the sliced copy (to a
    copied row, to a row not copied yet, moving a row's month, new rows, deletes) end
    up the same in the partitioned table."""
    if not _pg():
        pytest.skip("the migration only rebuilds tables on PostgreSQL")
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0030_history_by_month.py"
    spec = importlib.util.spec_from_file_location("migration_0030", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    conn = db.session.connection()
    conn.execute(text("CREATE TABLE toy (id serial PRIMARY KEY, at timestamp NOT NULL, v text)"))
    conn.execute(text("INSERT INTO toy (at, v) VALUES ('2026-01-05', 'a'), ('2026-02-05', 'b'), ('2026-03-05', 'c')"))
    conn.execute(text("CREATE TABLE toy_next (LIKE toy INCLUDING DEFAULTS) PARTITION BY RANGE (at)"))
    conn.execute(text("ALTER TABLE toy_next ADD PRIMARY KEY (id, at)"))
    conn.execute(text("CREATE TABLE toy_next_default PARTITION OF toy_next DEFAULT"))
    with Operations.context(MigrationContext.configure(conn)):
        migration._mirror("toy", "toy_next", "at", "id, at")
    conn.execute(text("INSERT INTO toy_next SELECT * FROM toy WHERE id = 1 ON CONFLICT DO NOTHING"))  # a slice
    conn.execute(text("UPDATE toy SET v = 'a2' WHERE id = 1"))
    conn.execute(text("UPDATE toy SET v = 'b2' WHERE id = 2"))
    conn.execute(text("UPDATE toy SET at = '2026-04-01' WHERE id = 3"))
    conn.execute(text("INSERT INTO toy (at, v) VALUES ('2026-05-05', 'd')"))
    conn.execute(text("DELETE FROM toy WHERE id = 1"))
    conn.execute(text("INSERT INTO toy_next SELECT * FROM toy ON CONFLICT DO NOTHING"))  # the other slices
    rows = "SELECT id, at, v FROM {} ORDER BY id"
    try:
        assert conn.execute(text(rows.format("toy_next"))).all() == conn.execute(text(rows.format("toy"))).all()
    finally:
        db.session.rollback()  # the toy tables were never committed
