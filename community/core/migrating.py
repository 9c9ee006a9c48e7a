"""Helpers for migrations that touch a city's tables (issue 25: say how far they are).

`run_sliced` runs an UPDATE over id slices (`:low` ≤ id < `:high` in the statement):
on PostgreSQL each slice commits on its own, so no lock is held on the whole table,
and a progress bar (a line per tenth off a terminal) shows how far it is.
"""
from contextlib import nullcontext

import sqlalchemy as sa

from community.core.progress import progress

SLICE = 20000


def _slices(bind, table: str, size: int) -> list[tuple[int, int]]:
    top = bind.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar() or 0
    return [(low, low + size) for low in range(0, top + 1, size)]


def run_sliced(op, table: str, statement: str, desc: str, size: int = SLICE, **params) -> None:
    bind = op.get_bind()
    slices = _slices(bind, table, size)
    # Small tables (the tests, a new city) say nothing; a city's take minutes.
    shown = progress(total=len(slices), desc=desc, unit="slice") if len(slices) > 10 else None
    block = op.get_context().autocommit_block() if bind.dialect.name == "postgresql" else nullcontext()
    with shown or nullcontext(), block:
        for low, high in slices:
            op.get_bind().execute(sa.text(statement), {"low": low, "high": high, **params})
            if shown:
                shown.update()

