"""Alembic environment: the app's engine and metadata, batch mode for SQLite."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from community.core.partitions import include_name, include_object  # months' partitions: not in the models

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def run_migrations_offline():
    context.configure(url=str(db.engine.url), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True, include_name=include_name,
                          include_object=include_object,
                          # Each revision commits on its own: a lock one takes (ADD COLUMN on
                          # tickets) is not held while the next ones run (issue 30).
                          transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
