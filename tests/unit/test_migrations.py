"""The migrations are the schema: one line of history, and nothing the models lack."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from community.core.extensions import db
from community.core.partitions import include_name, include_object  # the months' partitions (0030), as env.py


def test_one_head_so_plain_upgrade_works(app):
    with app.app_context():
        config = current_app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_the_migrated_schema(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={
            "include_name": include_name, "include_object": include_object}), db.metadata)
    from community.workqueue.search import SEARCH_OBJECTS

    def search_object(entry):  # the search's dialect-specific index (0023), not in the models
        item = entry[1] if isinstance(entry, tuple) and len(entry) > 1 else None
        name = getattr(item, "name", "") or ""
        return name in SEARCH_OBJECTS or name.startswith("ticket_search")
    diff = [d for d in diff if not search_object(d)]
    assert diff == [], diff
