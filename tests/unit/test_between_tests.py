"""The database between tests (tests/factories/database.py): the reset leaves the
migrated reference rows exactly as they were, whatever a test changed in them, and a
snapshot of every row comes back whole, links within a table included."""
from sqlalchemy import text

from community.core.extensions import db
from tests import factories
from tests.factories import database


def _reference_now():
    with db.engine.connect() as conn:
        return {t.name: database._rows(conn, t) for t in database._reference_tables()}


def test_the_reset_undoes_a_change_to_the_reference_rows(app, people):
    before = _reference_now()
    assert before == {name: rows for name, rows in database._reference.items() if name in before}
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE categories SET name_en = 'changed' WHERE code = 'ELD'"))
        conn.execute(text("UPDATE calendar_days SET working = NOT working "
                          "WHERE id = (SELECT min(id) FROM calendar_days)"))
    assert _reference_now() != before
    factories.reset_database()
    assert _reference_now() == before
    assert factories.count(type(people.grid)) == 0


def test_a_snapshot_of_every_row_comes_back_whole(app, people, areas):
    kept = factories.snapshot_rows()
    assert len(kept["units"]) == 17 and all(row["county_id"] for row in kept["units"] if row["code"] != "C")
    factories.reset_database()
    assert factories.count(type(areas.C)) == 0
    factories.restore_rows(kept)
    assert factories.snapshot_rows() == kept
