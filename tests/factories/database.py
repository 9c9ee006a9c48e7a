"""The database between tests: the migrated reference rows kept once, every test
started again from them; and counting rows."""
from sqlalchemy import func, insert, select, text

from community.core.extensions import db
from community.tickets.models import Category

_reference = {}


def _reference_tables():
    """What the migrations seed and every test starts from: the categories, the SLA
    policies (0005) and the calendar years chinese-calendar knows (0015)."""
    from community.sla.models import CalendarDay, CalendarYear, SlaPolicy

    return [Category.__table__, SlaPolicy.__table__, CalendarYear.__table__, CalendarDay.__table__]


def snapshot_reference_data():
    """Keep the migrated reference rows so every test can start from them again."""
    for table in _reference_tables():
        _reference[table.name] = [dict(row._mapping) for row in db.session.execute(select(table))]
    db.session.remove()


def reset_database():
    tables = [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]
    with db.engine.begin() as conn:
        # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table gives each a new
        # file (about a second per test); deleting the few rows a test wrote is instant.
        for table in reversed(tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":  # ids start again at 1, as on a new database
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                              "ON n.oid = c.relnamespace WHERE c.relkind = 'S' "
                              "AND n.nspname = current_schema()"))
        for table in _reference_tables():
            rows = _reference.get(table.name)
            if not rows:
                continue
            conn.execute(insert(table), rows)
            key = next(iter(table.primary_key.columns))
            if conn.dialect.name == "postgresql" and key.autoincrement is not False:
                # rows came back with their ids: the next id follows them
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key.name}'), "
                                  f"(SELECT max({key.name}) FROM {table.name}))"))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
