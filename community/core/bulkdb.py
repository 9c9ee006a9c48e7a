"""Writing many rows with few statements (the SLA sweep's fast path and its listeners).

On PostgreSQL new rows go in by COPY, and an update sends its rows as one JSON
document that the server unpacks: one parameter whatever the row count, so neither
the driver nor the server parses a statement that grows with the batch, and the
rows are encoded in C (json.dumps) rather than value by value in Python.
Elsewhere (SQLite) the same calls fall back to plain executemany.
"""
import functools
import json
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, any_, bindparam, insert, literal, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm.exc import StaleDataError

from community.core.dbtypes import UTCDateTime
from community.core.extensions import db


def _pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def any_of(column, values):
    """`column IN values`, as one array parameter on PostgreSQL: an IN list renders
    a placeholder per value, so every batch is a new statement for the driver to
    split and the server to parse (a tenth of the sweep's CPU on 1,000 due)."""
    values = list(values)
    if _pg():
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def insert_rows(table, rows: list[dict], returning_ids: bool = False) -> list[int] | None:
    """INSERT every row (all with the same keys); with returning_ids, their new ids
    in the order of `rows`."""
    if not rows:
        return [] if returning_ids else None
    session = db.session
    if not _pg():
        stmt = insert(table)
        if returning_ids:
            return session.execute(stmt.returning(table.c.id, sort_by_parameter_order=True),
                                   rows).scalars().all()
        session.execute(stmt, rows)
        return None
    columns = list(rows[0])
    ids = None
    if returning_ids:  # ids taken first, so their order is the rows' order
        ids = session.execute(text(
            "SELECT array_agg(nextval(pg_get_serial_sequence(:t, 'id'))) FROM generate_series(1, :n)"),
            {"t": table.name, "n": len(rows)}).scalar()
        rows = [dict(row, id=i) for row, i in zip(rows, ids)]
        columns.append("id")
    _copy_in(table, columns, rows)
    return ids


def _copy_in(table, columns, rows) -> None:
    """COPY the rows in (text format): the driver formats each row in C, where an
    unnested array is built element by element in Python."""
    dialect = db.engine.dialect
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    cursor = db.session.connection().connection.cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                values = [process(row[name]) if process else row[name]
                          for name, process in zip(columns, processors)]
                # psycopg adapts JSON itself in statements, so JSON columns have no bind
                # processor: in COPY a dict or list goes as its JSON text.
                copy.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                                for v in values])
    finally:
        cursor.close()


def _aware_iso(value) -> str:
    """A datetime as ISO text with its offset (json.dumps asks only for these)."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"not an aware datetime: {value!r}")  # as UTCDateTime refuses
    return value.isoformat()


_AS_JSON = (Integer, String, Boolean)  # JSON carries these as they are; Enum is a String


@functools.cache
def _versioned_sql(table, columns: tuple) -> str:
    """The rows arrive as one JSON document, unpacked by the server: a binary array per
    column was built element by element in Python (most of the write's client CPU)."""
    dialect = db.engine.dialect
    shapes, sets = [], []
    for name in ("id", "version", *columns):
        column = table.c[name]
        stamp = isinstance(column.type, UTCDateTime)
        if not stamp and not isinstance(column.type, _AS_JSON):
            # another TypeDecorator's bind step, a Decimal, a date: not through JSON unseen
            raise TypeError(f"update_versioned cannot send {table.name}.{name} ({column.type})")
        shapes.append(f"{name} {'timestamptz' if stamp else column.type.compile(dialect)}")
        if name not in ("id", "version"):  # stored as naive UTC, as UTCDateTime does
            sets.append(f"{name} = v.{name} AT TIME ZONE 'UTC'" if stamp else f"{name} = v.{name}")
    return (f"WITH done AS (UPDATE {table.name} AS t SET {', '.join(sets)}, version = t.version + 1 "
            f"FROM json_to_recordset(%s::json) AS v({', '.join(shapes)}) "
            f"WHERE t.id = v.id AND t.version = v.version RETURNING 1) SELECT count(*) FROM done")


def update_versioned(table, rows: list[dict], columns) -> None:
    """UPDATE rows keyed by `id` and the `version` they were read at (then bumped),
    setting `columns`; raises StaleDataError if any row changed meanwhile (the others
    may be written by then: the caller rolls back)."""
    if not rows:
        return
    session = db.session
    if not _pg():
        stmt = (update(table)
                .where(table.c.id == bindparam("b_id"),
                       table.c.version == bindparam("b_version", type_=Integer))
                .values({name: bindparam(f"b_{name}", type_=table.c[name].type) for name in columns}
                        | {"version": bindparam("b_version", type_=Integer) + 1}))
        result = session.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in rows])
        done = result.rowcount if db.engine.dialect.supports_sane_multi_rowcount else len(rows)
    else:
        needed = {"id", "version", *columns}
        if any(not needed <= row.keys() for row in rows):
            raise KeyError(f"update_versioned: every row needs {sorted(needed)}")
        done = session.connection().exec_driver_sql(
            _versioned_sql(table, tuple(columns)),
            (json.dumps(rows, default=_aware_iso),)).scalar()
    if done != len(rows):
        raise StaleDataError(f"{table.name}: {len(rows) - done} rows changed meanwhile")
