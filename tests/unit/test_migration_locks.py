"""No migration keeps a city's big tables from being written for long (issue 30).

The schema build (conftest) runs every migration on the test database with each statement
audited (tests/migration_audit.py); on PostgreSQL nothing may be found. The audit's rules
are checked here too, on statements written out, so a rule that stopped matching fails.
"""
import os

import pytest

from tests import migration_audit
from tests.migration_audit import Audit

ON_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith("postgres")


@pytest.mark.skipif(not ON_POSTGRES, reason="locks are PostgreSQL's; SQLite has one writer anyway")
def test_no_migration_holds_a_write_lock_over_a_scan_of_a_big_table(app):
    audit = migration_audit.LAST
    assert audit is not None, "the schema build was not audited"
    # It saw the whole run: every migration's statements, the concurrent builds, the validations.
    assert audit.statements > 500 and audit.revision == _head()
    assert audit.concurrent_indexes >= 25 and audit.validated >= 10
    assert audit.found == []


def _head() -> str:
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parents[2] / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def _audit(*statements, autocommit=False) -> list[str]:
    audit = Audit()
    for statement in statements:
        sql, params = statement if isinstance(statement, tuple) else (statement, {})
        if sql == "COMMIT":
            audit.end_transaction()
        else:
            audit.see(sql, params, autocommit)
    return audit.found


def test_an_index_on_a_big_table_is_built_concurrently():
    assert _audit("CREATE INDEX ix_tickets_x ON tickets (x)")
    assert not _audit("CREATE INDEX CONCURRENTLY ix_tickets_x ON tickets (x)", autocommit=True)
    assert not _audit("CREATE INDEX ix_units_x ON units (x)")  # a small table
    # A table made in the same transaction is new and empty.
    assert not _audit("CREATE TABLE ratings (id INTEGER)", "CREATE INDEX ix_ratings_x ON ratings (x)")


def test_a_constraint_on_a_big_table_is_added_not_valid():
    add = ("ALTER TABLE ratings ADD CONSTRAINT fk_ratings_grid_id_units FOREIGN KEY (grid_id) "
           "REFERENCES units (id)")
    assert _audit(add)
    assert not _audit(add + " NOT VALID")
    assert _audit("ALTER TABLE users ADD CONSTRAINT ck_users_role CHECK (role IN ('a', 'b'))")
    assert not _audit("ALTER TABLE users ADD COLUMN x INTEGER")


def test_a_backfill_of_a_big_table_goes_in_id_slices_or_by_id():
    assert _audit("UPDATE ratings SET channel = 'link' WHERE rater_id IS NULL")
    assert _audit("INSERT INTO resolutions (ticket_id) SELECT id FROM tickets WHERE resolved_at IS NOT NULL")
    sliced = "UPDATE ratings SET channel = 'link' WHERE rater_id IS NULL AND id >= %(low)s AND id < %(high)s"
    assert not _audit((sliced, {"low": 0, "high": 20000}), autocommit=True)
    by_id = "UPDATE tickets SET resolve_working_days = %(n)s WHERE id = %(i)s"
    assert not _audit((by_id, [{"n": 1, "i": 2}]))


def test_nothing_scans_a_big_table_while_the_transaction_holds_a_lock_on_it():
    column = "ALTER TABLE tickets ADD COLUMN resolve_working_days INTEGER"
    read = "SELECT id, resolve_due_at FROM tickets WHERE state IN ('accepted')"
    assert _audit(column, read)
    assert not _audit(column, "COMMIT", read)  # core.migrating.commit in between
    assert not _audit(column, "SELECT max(id) FROM tickets")
    # A new table's foreign key to a big table locks it against writes too.
    copy = "INSERT INTO resolutions (ticket_id) SELECT id FROM tickets WHERE id >= %(low)s AND id < %(high)s"
    assert _audit("CREATE TABLE resolutions (ticket_id INTEGER REFERENCES tickets (id))",
                  (copy, {"low": 0, "high": 10}))
    assert _audit("ALTER TABLE notifications ADD COLUMN project_id INTEGER",
                  "ALTER TABLE notifications VALIDATE CONSTRAINT fk_notifications_project_id_projects")
