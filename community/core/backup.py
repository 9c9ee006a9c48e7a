"""Backups: the database and the uploads folder, and a restore that checks itself.

    flask --app community backup create DIR [--keep N]   # DIR/<UTC stamp>/ (make backup)
    flask --app community backup restore FROM            # into an EMPTY database and uploads folder
    flask --app community backup verify FROM             # the live database and files = FROM?

A backup folder holds:
- database.dump: `pg_dump --format=custom` of the PostgreSQL database (or, on the embedded
  SQLite default, database.sqlite, a consistent copy made with SQLite's backup API);
- uploads.tar.gz: COMMUNITY_UPLOAD_DIR (photos, meeting minutes);
- manifest.json: when, the schema revision, the row count of every table and the SHA-256
  of every uploaded file.

`restore` refuses a database that already has tables or an uploads folder with files in
it (a restore never merges), then compares what it restored with the manifest: every
table's rows and every file's digest. A mismatch fails the command, naming it.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from community.core.extensions import db
from community.core.partitions import is_partition_name

backup_cli = AppGroup("backup", help="Back up and restore the database and the uploads.")
MANIFEST = "manifest.json"


class BackupError(click.ClickException):
    pass


def _libpq_url(engine) -> str:
    """The app's URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def app_schema() -> str | None:
    """The schema the app's search_path option names (the tests use one per run), else None."""
    options = (current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {})
               .get("options", "")) or make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).query.get(
                   "options", "")
    for part in str(options).replace("-c", " ").split():
        if part.startswith("search_path="):
            return part.split("=", 1)[1].split(",")[0]
    return None


def table_counts(engine, schema=None) -> dict[str, int]:
    counts = {}
    with engine.connect() as connection:
        for name in sorted(inspect(connection).get_table_names(schema=schema)):
            if is_partition_name(name):
                continue  # a month of a partitioned table (0030): counted with its table
            table = db.Table(name, db.MetaData(), schema=schema)
            counts[name] = connection.execute(select(func.count()).select_from(table)).scalar()
    return counts


def file_digests(folder: Path) -> dict[str, str]:
    digests = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digests[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _revision(engine, schema, counts) -> str:
    if "alembic_version" not in counts:
        return ""
    table = db.Table("alembic_version", db.MetaData(), db.Column("version_num"), schema=schema)
    with engine.connect() as connection:
        return connection.execute(select(table.c.version_num)).scalar() or ""


def create_backup(engine, uploads: Path, target: Path, now: datetime, schema=None) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    folder, n = target / now.strftime("%Y%m%dT%H%M%SZ"), 1
    while folder.exists():  # two in one second: keep both
        folder, n = target / f"{now:%Y%m%dT%H%M%SZ}.{n}", n + 1
    folder.mkdir()
    counts = table_counts(engine, schema)
    if engine.dialect.name == "postgresql":
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                   f"--file={folder / 'database.dump'}"]
        if schema:
            command.append(f"--schema={schema}")
        _run(command + ["--dbname", _libpq_url(engine)])
    else:
        source = sqlite3.connect(engine.url.database)
        copy = sqlite3.connect(folder / "database.sqlite")
        with copy:
            source.backup(copy)  # a consistent copy, even while the app writes
        source.close()
        copy.close()
    with tarfile.open(folder / "uploads.tar.gz", "w:gz") as tar:
        tar.add(uploads, arcname=".")
    manifest = {"created_at": now.isoformat(), "dialect": engine.dialect.name,
                "revision": _revision(engine, schema, counts),
                "tables": counts, "uploads": file_digests(uploads)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return folder


def prune(target: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backup folders (those with a manifest)."""
    folders = sorted(p for p in target.iterdir() if (p / MANIFEST).is_file())
    gone = folders[:-keep] if keep else []
    for folder in gone:
        shutil.rmtree(folder)
    return gone


def restore_backup(engine, uploads: Path, source: Path, schema=None) -> dict:
    manifest = json.loads((source / MANIFEST).read_text())
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names(schema=schema)
    if tables:
        raise BackupError("the database already has tables: restore only into an empty database")
    if uploads.exists() and any(uploads.iterdir()):
        raise BackupError(f"the uploads folder {uploads} is not empty: restore only into an empty one")
    if manifest["dialect"] != engine.dialect.name:
        raise BackupError(f"this backup is of a {manifest['dialect']} database, not {engine.dialect.name}")
    if engine.dialect.name == "postgresql":
        # The search's trigram indexes (migration 0023) need pg_trgm, which a dump of one
        # schema does not carry: install it first (a whole-database dump's own
        # CREATE EXTENSION IF NOT EXISTS then does nothing).
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              "--dbname", _libpq_url(engine), str(source / "database.dump")])
    else:
        engine.dispose()  # no open handle on the file we replace
        shutil.copyfile(source / "database.sqlite", engine.url.database)
    uploads.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / "uploads.tar.gz", "r:gz") as tar:
        tar.extractall(uploads, filter="data")
    return verify_backup(engine, uploads, source, schema)


def verify_backup(engine, uploads: Path, source: Path, schema=None) -> dict:
    """Compare a database and uploads folder with a backup's manifest; raise on a difference."""
    manifest = json.loads((source / MANIFEST).read_text())
    engine.dispose()
    counts = table_counts(engine, schema)
    wrong = [f"{name}: {manifest['tables'].get(name)} in the backup, {counts.get(name)} here"
             for name in sorted(set(manifest["tables"]) | set(counts))
             if manifest["tables"].get(name) != counts.get(name)]
    files = file_digests(uploads)
    wrong += [f"uploads/{name}: differs or is missing" for name in sorted(set(manifest["uploads"]) | set(files))
              if manifest["uploads"].get(name) != files.get(name)]
    if wrong:
        raise BackupError("restore check failed:\n  " + "\n  ".join(wrong))
    return {"tables": len(counts), "rows": sum(counts.values()), "files": len(files)}


def _live():
    return db.engine, Path(current_app.config["COMMUNITY_UPLOAD_DIR"])


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, "PGAPPNAME": "community-backup"})
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


@backup_cli.command("create")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", type=int, default=0, help="then remove all but the newest N backups (0: keep all)")
def create_command(target, keep):
    """Back up the database and the uploads into TARGET/<UTC time>/."""
    folder = create_backup(*_live(), target, datetime.now(timezone.utc), schema=app_schema())
    manifest = json.loads((folder / MANIFEST).read_text())
    click.echo(f"backup {folder}: {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} "
               f"tables, {len(manifest['uploads'])} files")
    for gone in prune(target, keep):
        click.echo(f"removed old backup {gone}")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(source):
    """Restore SOURCE into an empty database and uploads folder, then check it."""
    done = restore_backup(*_live(), source, schema=app_schema())
    click.echo(f"restored {source}; check passed: {done['rows']} rows in {done['tables']} tables, "
               f"{done['files']} files as in the backup")


@backup_cli.command("verify")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify_command(source):
    """Check that the live database and uploads hold what SOURCE holds."""
    done = verify_backup(*_live(), source, schema=app_schema())
    click.echo(f"check passed: {done['rows']} rows in {done['tables']} tables, {done['files']} files")
