"""Helpers for migrations that touch a city's tables: say how far they are (issue 25) and
never keep them locked against writes for long (issue 30).

On PostgreSQL a statement that scans a big table must not run while the migration's
transaction holds a lock that blocks writes on it (ALTER TABLE, CREATE INDEX, a new
foreign key): residents filing and rating would wait for the whole scan. So:

- `run_sliced` runs an UPDATE (or INSERT … SELECT) over id slices (`:low` ≤ id < `:high`
  in the statement), each slice committed on its own, with a progress bar (a line per
  tenth off a terminal);
- `create_index` builds CONCURRENTLY (writes go on while it builds). PostgreSQL builds no
  index CONCURRENTLY on a partitioned table (ticket_events, notifications since 0030): there
  build each month's index CONCURRENTLY first, then the parent's, which only attaches them;
- `add_foreign_key` and `add_check` add the constraint NOT VALID (a moment's lock), then
  VALIDATE it in a transaction of its own (a scan that blocks no writes);
- `commit` ends the migration's transaction where it stands, so the locks its quick DDL
  took (ADD COLUMN) go before the slow part starts.

On SQLite (the embedded default, one writer anyway) each does the plain thing inside the
migration's transaction, batch mode where SQLite needs it.
tests/unit/test_migration_locks.py runs every migration on PostgreSQL and fails on a
statement that would hold such a lock over a scan of a big table.
"""
from contextlib import nullcontext

import sqlalchemy as sa

from community.core.progress import progress

SLICE = 20000


def postgres(op) -> bool:
    return op.get_bind().dialect.name == "postgresql"


def commit(op) -> None:
    """End the transaction here on PostgreSQL: what it did is kept and its locks go."""
    if postgres(op):
        with op.get_context().autocommit_block():
            pass


def _slices(bind, table: str, size: int) -> list[tuple[int, int]]:
    top = bind.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar() or 0
    return [(low, low + size) for low in range(0, top + 1, size)]


def run_sliced(op, table: str, statement, desc: str, size: int = SLICE, **params) -> None:
    """`statement` (or a list of them, run one after the other on each slice) over the id
    slices of `table`; on PostgreSQL each slice commits on its own."""
    statements = [statement] if isinstance(statement, str) else list(statement)
    bind = op.get_bind()
    slices = _slices(bind, table, size)
    # Small tables (the tests, a new city) say nothing; a city's take minutes.
    shown = progress(total=len(slices), desc=desc, unit="slice") if len(slices) > 10 else None
    block = op.get_context().autocommit_block() if postgres(op) else nullcontext()
    with shown or nullcontext(), block:
        for low, high in slices:
            for sql in statements:
                op.get_bind().execute(sa.text(sql), {"low": low, "high": high, **params})
            if shown:
                shown.update()


def create_index(op, name: str, table: str, columns, where: str | None = None, **kw) -> None:
    """The index, built CONCURRENTLY on PostgreSQL (in autocommit: it cannot run in a
    transaction, and the migration's earlier locks go first)."""
    condition = sa.text(where) if where else None
    if postgres(op):
        with op.get_context().autocommit_block():
            op.create_index(name, table, columns, postgresql_where=condition,
                            postgresql_concurrently=True, **kw)
    else:
        op.create_index(name, table, columns, sqlite_where=condition, **kw)


def execute_index(op, sql: str) -> None:
    """A CREATE INDEX written out (an expression, an operator class): CONCURRENTLY on
    PostgreSQL, in autocommit. `sql` starts with "CREATE INDEX "."""
    if postgres(op):
        with op.get_context().autocommit_block():
            op.execute(sa.text(sql.replace("CREATE INDEX ", "CREATE INDEX CONCURRENTLY ", 1)))
    else:
        op.execute(sa.text(sql))


def _validate_later(op, table: str, name: str, definition: str) -> None:
    op.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID"))
    with op.get_context().autocommit_block():
        op.execute(sa.text(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}"))


def add_foreign_key(op, name: str, table: str, referent: str, local: list[str],
                    remote: list[str]) -> None:
    if postgres(op):
        _validate_later(op, table, name, f"FOREIGN KEY ({', '.join(local)}) "
                        f"REFERENCES {referent} ({', '.join(remote)})")
    else:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(op.f(name), referent, local, remote)


def add_check(op, name: str, table: str, condition: str, replaces: str | None = None) -> None:
    """CHECK (condition) named `name`; `replaces` names a check dropped first (in the same
    short transaction on PostgreSQL, so no write slips in unchecked)."""
    if postgres(op):
        if replaces:
            op.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {replaces}"))
        _validate_later(op, table, name, f"CHECK ({condition})")
    else:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if replaces:
                batch_op.drop_constraint(op.f(replaces), type_="check")
            batch_op.create_check_constraint(op.f(name), condition)
