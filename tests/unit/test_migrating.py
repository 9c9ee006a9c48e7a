"""Migrations that touch a city's tables run in id slices and say how far they are."""
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select, text

from community.areas.models import Unit
from community.core.extensions import db
from community.core.migrating import run_sliced


def test_a_sliced_update_reaches_every_row_and_reports_its_progress(app, areas, capsys):
    ids = sorted(db.session.scalars(select(Unit.id)))
    db.session.commit()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        with context.begin_transaction():
            run_sliced(Operations(context), "units", "UPDATE units SET name = name || '·' "
                       "WHERE id >= :low AND id < :high", "test units", size=1)
        connection.commit()
    db.session.expire_all()
    assert all(name.endswith("·") for name in db.session.scalars(select(Unit.name)))
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("test units")]
    # A line at each tenth of the way (off a terminal), the last one at the end.
    assert len(lines) >= 10 and lines[-1].startswith(f"test units: {max(ids) + 1}/{max(ids) + 1} slice")
    assert db.session.execute(text("SELECT count(*) FROM units")).scalar() == len(ids)


def test_a_small_table_is_updated_quietly(app, areas, capsys):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        with context.begin_transaction():
            run_sliced(Operations(context), "units", "UPDATE units SET name = name WHERE id >= :low AND id < :high",
                       "quiet units")
        connection.commit()
    assert "quiet units" not in capsys.readouterr().err
