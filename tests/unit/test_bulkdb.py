"""community.core.bulkdb: the sweep's versioned UPDATE and its id look-ups, on either database."""
from datetime import timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm.exc import StaleDataError

from community.areas.models import Unit
from community.core.bulkdb import any_of, update_versioned
from community.core.extensions import db
from community.tickets.models import Ticket
from tests.factories import T0, file_ticket

SHANGHAI = timezone(timedelta(hours=8))
COLUMNS = ("state", "arrived_at", "next_due_at", "sla_flags")


def _row(ticket, version, **values):
    return {"id": ticket.id, "version": version,
            **{name: values.get(name, getattr(ticket, name)) for name in COLUMNS}}


def test_versioned_update_stores_utc_and_bumps_the_version(people, areas):
    first, second = file_ticket(people, areas), file_ticket(people, areas)
    versions = first.version, second.version
    later = (T0 + timedelta(hours=3)).astimezone(SHANGHAI)  # any offset: stored as UTC
    update_versioned(Ticket.__table__, [
        _row(first, versions[0], arrived_at=later, next_due_at=None, sla_flags=5),
        _row(second, versions[1], state="escalated")], COLUMNS)
    db.session.commit()
    db.session.expire_all()
    assert (first.arrived_at, first.next_due_at, first.sla_flags) == (T0 + timedelta(hours=3), None, 5)
    assert first.arrived_at.tzinfo is not None
    assert second.state == "escalated" and second.arrived_at == T0
    assert (first.version, second.version) == (versions[0] + 1, versions[1] + 1)


def test_a_changed_version_writes_nothing(people, areas):
    first, second = file_ticket(people, areas), file_ticket(people, areas)
    with pytest.raises(StaleDataError):
        update_versioned(Ticket.__table__, [_row(first, first.version, sla_flags=7),
                                            _row(second, second.version - 1, sla_flags=7)], COLUMNS)
    db.session.rollback()
    db.session.expire_all()
    assert (first.sla_flags, second.sla_flags) == (0, 0)


def test_a_naive_datetime_is_refused(people, areas):
    ticket = file_ticket(people, areas)
    with pytest.raises((ValueError, StatementError)):
        update_versioned(Ticket.__table__, [_row(ticket, ticket.version,
                                                 arrived_at=T0.replace(tzinfo=None))], COLUMNS)
    db.session.rollback()


def test_any_of_finds_the_ids_given(areas):
    wanted = {areas.S1C1.id, areas.S1C1G1.id, -1}
    found = set(db.session.scalars(select(Unit.id).where(any_of(Unit.id, wanted))))
    assert found == wanted - {-1}
    assert not list(db.session.scalars(select(Unit.id).where(any_of(Unit.id, []))))


def test_postgresql_sessions_run_in_utc(app, people, areas):
    """The sweep reads its times as timestamptz: they must come back in timezone.utc
    (a zone with daylight saving would shift its wall-clock arithmetic)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no session time zone (CI's second pass runs it)")
    from community.sla.bulk import due_rows

    assert db.session.execute(text("SHOW TimeZone")).scalar() == "UTC"
    ticket = file_ticket(people, areas)
    rows = due_rows(ticket.sla_check_at, 10, set())
    assert rows and rows[0].submitted_at == T0 and rows[0].submitted_at.tzinfo is timezone.utc
    db.session.rollback()
    db.session.execute(text("SET TIME ZONE 'America/New_York'"))  # as PGTZ would
    rows = due_rows(ticket.sla_check_at, 10, set())
    assert rows[0].submitted_at == T0 and rows[0].submitted_at.tzinfo is timezone.utc
    db.session.rollback()
