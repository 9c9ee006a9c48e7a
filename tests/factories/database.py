"""The database between tests: the migrated reference rows kept once, every test
started again from them; and counting rows."""
from sqlalchemy import bindparam, func, insert, select, text

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
    with db.engine.connect() as conn:
        for table in _reference_tables():
            _reference[table.name] = _rows(conn, table)
        _reference["fingerprint"] = _fingerprint(conn)
    db.session.remove()


def _fingerprint(conn) -> tuple:
    """The reference tables' every value, as one text each, in one statement: equal
    texts, equal rows (reading them as Python rows cost more than writing them again)."""
    parts = []
    for table in _reference_tables():
        keys = ", ".join(c.name for c in table.primary_key.columns)
        if conn.dialect.name == "postgresql":
            parts.append(f"(SELECT md5(string_agg(t::text, '|' ORDER BY {keys})) FROM {table.name} t)")
        else:
            row = " || ',' || ".join(f"quote({c.name})" for c in table.columns)
            parts.append(f"(SELECT group_concat(r, '|') FROM (SELECT {row} AS r FROM {table.name} "
                         f"ORDER BY {keys}))")
    return tuple(conn.execute(text("SELECT " + ", ".join(parts))).one())


def _rows(conn, table) -> list[dict]:
    return [dict(row._mapping) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]


def _tables():
    return [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]


def _empty(conn, keep=()):
    # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table gives each a new
    # file (about a second per test); deleting the few rows a test wrote is instant.
    doomed = [table for table in reversed(_tables()) if table not in keep]
    if conn.dialect.name == "postgresql":
        # One round trip for all 68 tables, not one each (~25 ms a test).
        quote = conn.dialect.identifier_preparer.format_table
        conn.exec_driver_sql("; ".join(f"DELETE FROM {quote(table)}" for table in doomed))
        # ids start again at 1, as on a new database
        conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                          "ON n.oid = c.relnamespace WHERE c.relkind = 'S' "
                          "AND n.nspname = current_schema()"))
    else:
        for table in doomed:
            conn.execute(table.delete())


def _put_back(conn, table, rows):
    conn.execute(insert(table), rows)
    _ids_follow(conn, table)


def _ids_follow(conn, table):
    key = next(iter(table.primary_key.columns))
    if conn.dialect.name == "postgresql" and key.autoincrement is not False:
        # rows came back with their ids: the next id follows them
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key.name}'), "
                          f"(SELECT max({key.name}) FROM {table.name}))"))


def reset_database():
    with db.engine.begin() as conn:
        # The reference rows are written again only when a test changed them (a few do):
        # comparing them costs a tenth of writing the 771 calendar days again.
        reference = _reference_tables()
        kept = reference if _fingerprint(conn) == _reference["fingerprint"] else []
        _empty(conn, keep=kept)
        for table in reference:
            if table in kept:
                if _reference.get(table.name):
                    _ids_follow(conn, table)
            elif _reference.get(table.name):
                _put_back(conn, table, _reference[table.name])


def snapshot_rows(*names: str) -> dict[str, list[dict]]:
    """Every row of every table (or of the tables named), to start later tests from."""
    db.session.commit()
    with db.engine.connect() as conn:
        return {table.name: _rows(conn, table) for table in _tables() if not names or table.name in names}


def restore_rows(snapshot: dict[str, list[dict]]) -> None:
    """The database exactly as snapshot_rows found it: emptied, then its rows put back
    with their ids (on PostgreSQL the sequences carry on after them)."""
    db.session.remove()
    with db.engine.begin() as conn:
        _empty(conn)
        add_rows(snapshot, conn)


def add_rows(kept: dict[str, list[dict]], conn) -> None:
    """Put kept rows (as snapshot_rows gives them) into their tables, ids and all."""
    for table in _tables():
        rows = kept.get(table.name)
        if not rows:
            continue
        # A column naming a row of its own table (a unit's county) is set once every
        # row is in: a row may name one that comes after it.
        own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
        _put_back(conn, table, [{**row, **dict.fromkeys(own)} for row in rows] if own else rows)
        keys = list(table.primary_key.columns)
        for name in own:
            linked = [{**{f"k_{c.name}": row[c.name] for c in keys}, "v": row[name]}
                      for row in rows if row[name] is not None]
            if linked:
                conn.execute(table.update().where(*[c == bindparam(f"k_{c.name}") for c in keys])
                             .values({name: bindparam("v")}), linked)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
