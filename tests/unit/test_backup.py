"""Backups (issue 25): a backup restored into a fresh database and uploads folder holds the
same rows and the same photos; a restore never merges into a database in use."""
import os
import uuid
from datetime import datetime, timezone

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from community.core.backup import (BackupError, app_schema, create_backup, file_digests, restore_backup,
                              table_counts)
from community.core.extensions import db
from tests.factories import file_ticket

STAMP = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def fresh_database(app, tmp_path):
    """An empty database of the same kind as the app's: a new SQLite file, or a new
    PostgreSQL database (dropped after)."""
    if db.engine.dialect.name != "postgresql":
        engine = create_engine(f"sqlite:///{tmp_path / 'restored.db'}")
        yield engine
        engine.dispose()
        return
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin_url = os.environ["DATABASE_URL"]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    engine = create_engine(db.engine.url.set(database=name))
    yield engine
    engine.dispose()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _photos(app, names):
    from pathlib import Path

    uploads = Path(app.config["COMMUNITY_UPLOAD_DIR"])
    (uploads / "minutes").mkdir(exist_ok=True)
    for i, name in enumerate(names):
        (uploads / name).write_bytes(bytes([i]) * 1000 + name.encode())
    return uploads


def test_a_backup_restores_into_a_fresh_database_with_the_same_rows_and_photos(
        app, people, areas, fresh_database, tmp_path):
    file_ticket(people, areas)
    db.session.commit()
    uploads = _photos(app, ["a1b2.jpg", "c3d4.png", "minutes/m1.pdf"])
    try:
        folder = create_backup(db.engine, uploads, tmp_path / "backups", STAMP, schema=app_schema())
        assert folder.name == "20261207T030000Z"
        assert {p.name for p in folder.iterdir()} == {
            "database.dump" if db.engine.dialect.name == "postgresql" else "database.sqlite",
            "uploads.tar.gz", "manifest.json"}
        restored_uploads = tmp_path / "restored-uploads"
        checked = restore_backup(fresh_database, restored_uploads, folder, schema=app_schema())
        live = table_counts(db.engine, app_schema())
        assert table_counts(fresh_database, app_schema()) == live
        assert live["tickets"] == 1 and live["users"] > 1 and checked["rows"] == sum(live.values())
        for name in ("a1b2.jpg", "c3d4.png", "minutes/m1.pdf"):
            assert (restored_uploads / name).read_bytes() == (uploads / name).read_bytes()
        assert checked["files"] == len(file_digests(uploads))  # with other tests' photos

        # Restoring again over what is there now is refused, and changes nothing.
        with pytest.raises(BackupError, match="already has tables"):
            restore_backup(fresh_database, tmp_path / "other-uploads", folder, schema=app_schema())
        assert not (tmp_path / "other-uploads").exists()
    finally:
        for name in ("a1b2.jpg", "c3d4.png", "minutes/m1.pdf"):
            (uploads / name).unlink(missing_ok=True)


def test_a_restore_check_names_what_differs(app, people, fresh_database, tmp_path):
    from community.core.backup import verify_backup

    uploads = _photos(app, ["kept.jpg"])
    try:
        folder = create_backup(db.engine, uploads, tmp_path / "backups", STAMP, schema=app_schema())
        restored_uploads = tmp_path / "restored"
        restore_backup(fresh_database, restored_uploads, folder, schema=app_schema())
        (restored_uploads / "kept.jpg").write_bytes(b"changed")
        prefix = f"{app_schema()}." if app_schema() else ""
        with fresh_database.begin() as connection:
            connection.exec_driver_sql(f"DELETE FROM {prefix}alembic_version")
        with pytest.raises(BackupError) as failed:
            verify_backup(fresh_database, restored_uploads, folder, schema=app_schema())
        assert "alembic_version: 1 in the backup, 0 here" in str(failed.value) and "uploads/kept.jpg" in str(failed.value)
    finally:
        (uploads / "kept.jpg").unlink(missing_ok=True)


def test_the_backup_commands_keep_the_newest(app, tmp_path):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["backup", "create", str(tmp_path / "b"), "--keep", "1"])
        assert result.exit_code == 0, result.output
        assert "rows in" in result.output
    assert "removed old backup" in result.output
    [kept] = list((tmp_path / "b").iterdir())
    assert runner.invoke(args=["backup", "verify", str(kept)]).exit_code == 0
    refused = runner.invoke(args=["backup", "restore", str(kept)])
    assert refused.exit_code != 0 and "empty database" in refused.output
    assert inspect(db.engine).get_table_names(schema=app_schema())  # untouched
