"""Bulk writes for the city generator: COPY on PostgreSQL, executemany on SQLite.

Rows are plain tuples in a fixed column order chosen by the generator. The
table as it stands in the database (reflected, so columns added by later
migrations count) decides the rest: a nullable or server-defaulted column is
left out of the column list, a NOT NULL column with a model default gets that
default, anything else is an error naming the column, so a new required
column fails loudly instead of loading wrong data.
"""
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import Date, DateTime, MetaData, text

from community.core.extensions import db

SQLITE_BATCH = 5000


class BulkLoader:
    def __init__(self, connection):
        self.conn = connection
        self.dialect = connection.dialect.name
        self.raw = connection.connection.dbapi_connection
        self.meta = MetaData()
        self.meta.reflect(bind=connection)
        self._types = {}  # table -> {column: type oid}, for binary COPY

    def has_table(self, name: str) -> bool:
        return name in self.meta.tables

    def has_column(self, table: str, column: str) -> bool:
        return table in self.meta.tables and column in self.meta.tables[table].c

    def next_id(self, table: str) -> int:
        return (self.conn.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1

    def count(self, table: str) -> int:
        return self.conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()

    def _complete(self, table: str, columns: list[str]):
        """The columns to write and the constant values to append for the ones we don't fill."""
        reflected = self.meta.tables[table]
        model = db.metadata.tables.get(table)
        extra_cols, extra_vals = [], []
        for column in reflected.columns:
            if column.name in columns or column.nullable or column.server_default is not None:
                continue
            if column.primary_key and column.autoincrement:
                continue
            default = model.c[column.name].default if model is not None and column.name in model.c else None
            if default is None or not default.is_scalar:
                raise RuntimeError(f"citygen: {table}.{column.name} is NOT NULL and has no "
                                   "default; teach bench/city/cityrows.py to fill it")
            extra_cols.append(column.name)
            extra_vals.append(default.arg)
        for name in columns:
            if name not in reflected.c:
                raise RuntimeError(f"citygen: {table} has no column {name}")
        return columns + extra_cols, tuple(extra_vals)

    def _pg_types(self, table: str) -> dict:
        """Column name -> type oid, as binary COPY needs them."""
        if table not in self._types:
            self._types[table] = dict(self.conn.execute(text(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) "
                "AND attnum > 0 AND NOT attisdropped"), {"t": table}).all())
        return self._types[table]

    @contextmanager
    def writer(self, table: str, columns: list[str]):
        """Yields write(row); rows are tuples in `columns` order."""
        names, extra = self._complete(table, list(columns))
        if self.dialect == "postgresql":
            # Binary COPY: packing ints and timestamps costs a fraction of formatting them
            # as text, on both ends of the connection.
            types = self._pg_types(table)
            cursor = self.raw.cursor()
            with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types([types[n] for n in names])
                write_row = copy.write_row
                if extra:
                    yield lambda row: write_row(row + extra)
                else:
                    yield write_row
            cursor.close()
            return
        reflected = self.meta.tables[table]
        stamps = [i for i, n in enumerate(names) if isinstance(reflected.c[n].type, DateTime)]
        days = [i for i, n in enumerate(names) if isinstance(reflected.c[n].type, Date)]
        sql = (f"INSERT INTO {table} ({', '.join(names)}) "
               f"VALUES ({', '.join('?' for _ in names)})")
        batch = []
        cursor = self.raw.cursor()

        def write(row):
            row = list(row + extra)
            for i in stamps:  # SQLAlchemy's own SQLite spelling, so comparisons in SQL hold
                if row[i] is not None:
                    row[i] = row[i].strftime("%Y-%m-%d %H:%M:%S.%f")
            for i in days:
                if row[i] is not None:
                    row[i] = row[i].isoformat()
            batch.append(row)
            if len(batch) >= SQLITE_BATCH:
                cursor.executemany(sql, batch)
                batch.clear()

        yield write
        if batch:
            cursor.executemany(sql, batch)
        cursor.close()

    # PostgreSQL only: build secondary indexes once at the end instead of row by row.
    def drop_indexes(self, tables: list[str]) -> list[tuple[str, str]]:
        """Secondary indexes of `tables`, dropped; returns (table, statement) to build them."""
        if self.dialect != "postgresql":
            return []
        rows = self.conn.execute(text(
            "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"),
            {"tables": tables}).all()
        for _table, name, _definition in rows:
            self.conn.execute(text(f'DROP INDEX "{name}"'))
        # A partitioned table's index reads "ON ONLY <table>": built so, it stays an INVALID
        # index of the parent alone and no partition gets one (bench_5m's ticket_events had
        # no index on ticket_id: a request's timeline read 27 M events, 2 s). Without ONLY
        # it is built on every partition.
        return [(table, definition.replace(" ON ONLY ", " ON ", 1)) for table, _name, definition in rows]

    def drop_unique(self, tables: list[str]) -> list[tuple[str, str]]:
        """Unique constraints (not primary keys) of `tables`, dropped; returns (table,
        statement) to add them back. Their keys arrive in random order (tracking codes, the
        figures' unit-first keys): a big index kept up row by row outgrows shared_buffers.
        Fails if a foreign key points at one (none does: they all point at ids)."""
        if self.dialect != "postgresql":
            return []
        rows = self.conn.execute(text(
            "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE c.contype = 'u' AND n.nspname = current_schema() AND t.relname = ANY(:tables)"),
            {"tables": tables}).all()
        for table, name, _definition in rows:
            self.conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        return [(table, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                for table, name, definition in rows]

    def create_indexes(self, indexes: list[tuple[str, str]]) -> None:
        for _table, definition in indexes:
            self.conn.execute(text(definition))

    def fast_session(self, skip_fk_checks: bool) -> None:
        """Session settings for a big load; foreign keys are skipped only when asked
        (the generator's rows are consistent by construction) and we may."""
        if self.dialect != "postgresql":
            return
        self.conn.execute(text("SET LOCAL synchronous_commit = off"))
        self.conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        if skip_fk_checks and self.conn.execute(text(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
            self.conn.execute(text("SET LOCAL session_replication_role = replica"))

    def fix_sequences(self, tables: list[str]) -> None:
        if self.dialect != "postgresql":
            return
        for table in tables:
            self.conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"))

    def analyze(self, tables: list[str]) -> None:
        for table in tables:
            self.conn.execute(text(f"ANALYZE {table}"))


def build_indexes(engine, indexes: list[tuple[str, str]], connections: int = 2) -> None:
    """Build what drop_indexes / drop_unique returned over a few connections at once (each
    statement commits on its own, so no connection waits on another's table locks for
    long); the biggest tables first, so the connections finish together."""
    if not indexes:
        return
    import threading

    with engine.connect() as conn:
        sizes = dict(conn.execute(text(
            "SELECT t, pg_relation_size(t::regclass) FROM unnest(CAST(:t AS text[])) t"),
            {"t": sorted({table for table, _ in indexes})}).all())
    queue = sorted(indexes, key=lambda index: sizes.get(index[0], 0), reverse=True)
    lock, errors, busy = threading.Lock(), [], []

    def work():
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SET maintenance_work_mem = '512MB'"))
                while True:
                    with lock:
                        if not queue or errors:
                            return
                        # Another table than the other connection's, when there is one: an
                        # ADD CONSTRAINT would wait for its CREATE INDEX to finish.
                        pick = next((i for i, (t, _) in enumerate(queue) if t not in busy), 0)
                        table, statement = queue.pop(pick)
                        busy.append(table)
                    conn.execute(text(statement))
                    with lock:
                        busy.remove(table)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)
