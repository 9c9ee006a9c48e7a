"""Writing many rows with few statements (the SLA sweep's fast path and its listeners).

On PostgreSQL new rows go in by COPY, and an update sends one binary array per
column and unnests it on the server: a few parameters whatever the row count, so
neither the driver nor the server parses a statement that grows with the batch.
Elsewhere (SQLite) the same calls fall back to plain executemany.
"""
from sqlalchemy import Integer, bindparam, insert, text, update
from sqlalchemy.orm.exc import StaleDataError

from community.extensions import db


def _pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def _arrays(table, columns, rows) -> tuple[dict, list[str]]:
    """One list per column, bound as the column's stored values, and the casts."""
    dialect = db.engine.dialect
    params, casts = {}, []
    for i, name in enumerate(columns):
        column = table.c[name]
        process = column.type.bind_processor(dialect)
        values = [row[name] for row in rows]
        params[f"a{i}"] = [process(v) for v in values] if process else values
        # %(…)b: psycopg sends the list as a binary array (no per-element escaping)
        casts.append(f"CAST(%(a{i})b AS {column.type.compile(dialect)}[])")
    return params, casts


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
                copy.write_row([process(row[name]) if process else row[name]
                                for name, process in zip(columns, processors)])
    finally:
        cursor.close()


def update_versioned(table, rows: list[dict], columns) -> None:
    """UPDATE rows keyed by `id` and the `version` they were read at (then bumped),
    setting `columns`; raises StaleDataError if any row changed meanwhile."""
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
        names = ["id", "version", *columns]
        params, casts = _arrays(table, names, rows)
        sets = ", ".join(f"{name} = v.{name}" for name in columns)
        done = session.connection().exec_driver_sql(
            f"WITH done AS (UPDATE {table.name} AS t SET {sets}, version = t.version + 1 "
            f"FROM unnest({', '.join(casts)}) AS v({', '.join(names)}) "
            f"WHERE t.id = v.id AND t.version = v.version RETURNING 1) "
            f"SELECT count(*) FROM done", params).scalar()
    if done != len(rows):
        raise StaleDataError(f"{table.name}: {len(rows) - done} rows changed meanwhile")
