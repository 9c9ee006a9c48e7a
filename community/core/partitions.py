"""History partitioned by month on PostgreSQL (issue 31; migration 0030).

The tables that grow with every request are declared here, each with the column that
places a row in its month. On PostgreSQL each is a RANGE-partitioned table with one
partition per month (`<table>_pYYYYMM`, [first of the month, first of the next) in UTC)
and a DEFAULT partition (`<table>_default`) that takes any row whose month has no
partition yet, so an insert never fails because the job below did not run.

- `ensure_months(bind, now)`: the month of `now` and COMMUNITY_PARTITION_MONTHS_AHEAD (3)
  after it exist (the daily job, workers/cron.py). Idempotent. Rows already in DEFAULT
  for a month it creates are moved into the new partition in the same transaction
  (with the rows linking to them set aside and put back, see create_month).
- `default_rows(bind)`: rows waiting in DEFAULT, per table (a warning and the
  `community_partition_default_rows` gauge when any).
- `drop_months_before(bind, table, cutoff)`: every month that ends on or before the
  cutoff is detached and dropped whole (retention: community.privacy.retention); the
  caller deletes what is left before the cutoff row by row.

SQLite keeps plain tables: every function here answers "nothing to do" there, and the
callers fall back to plain row deletes. Infrastructure only: no domain rule lives here.
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import sqlalchemy as sa

log = logging.getLogger(__name__)

# table -> the column whose month places a row.
PARTITIONED = {"ticket_events": "at", "notifications": "created_at"}
# The rows that link to a partitioned table's rows by (id, partition key): table, columns.
REFERENCED_BY = {"ticket_events": (("notifications", "event_id", "event_at"),
                                   ("ticket_photos", "event_id", "event_at"))}
MONTHS_AHEAD = 3
_NAME = re.compile(r"^(?P<table>{})_(?:p(?P<month>\d{{6}})|default)$".format(
    "|".join(map(re.escape, PARTITIONED))))


def is_partition_name(name: str | None) -> bool:
    """A partition (or its index) of a partitioned table: not in the models, on purpose."""
    return bool(name and _NAME.match(name.split(".")[-1]))


def include_name(name, type_, parent_names) -> bool:
    """Alembic's filter (migrations/env.py, tests/unit/test_migrations.py): the months'
    partitions and their indexes are made here, not declared in the models."""
    if type_ == "table":
        return not is_partition_name(name)
    return not is_partition_name((parent_names or {}).get("table_name"))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter for what PostgreSQL adds on its own: a foreign key to a
    partitioned table is mirrored by one per partition, each naming the partition."""
    if type_ == "foreign_key_constraint" and reflected:
        return not is_partition_name(obj.referred_table.name)
    return True


def month_of(moment: datetime) -> date:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return date(moment.year, moment.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def is_partitioned(bind, table: str) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = :t AND c.relnamespace = current_schema()::regnamespace"), {"t": table}).scalar())


def months(bind, table: str) -> list[date]:
    """The months that have a partition, oldest first ([] on SQLite or a plain table)."""
    if not is_partitioned(bind, table):
        return []
    names = bind.execute(sa.text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = :t AND p.relnamespace = current_schema()::regnamespace"), {"t": table}).scalars()
    found = []
    for name in names:
        match = _NAME.match(name)
        if match and match["month"]:
            found.append(date(int(match["month"][:4]), int(match["month"][4:]), 1))
    return sorted(found)


def month_bounds(month: date) -> tuple[str, str]:
    return f"{month:%Y-%m-%d} 00:00:00", f"{add_months(month, 1):%Y-%m-%d} 00:00:00"


def create_default(bind, table: str) -> None:
    bind.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {default_name(table)} PARTITION OF {table} DEFAULT"))


def create_month(bind, table: str, month: date) -> int | None:
    """The partition of `month`, unless it exists (None). Rows of that month waiting in
    DEFAULT are moved into it first: the partition is built beside the table, filled,
    then attached, all in the caller's transaction. Returns how many rows were moved."""
    key = PARTITIONED[table]
    name = partition_name(table, month)
    if bind.execute(sa.text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
        return None
    low, high = month_bounds(month)
    default = default_name(table)
    waiting = bind.execute(sa.text(
        f"SELECT count(*) FROM {default} WHERE {key} >= :low AND {key} < :high"),
        {"low": low, "high": high}).scalar() if _exists(bind, default) else 0
    if not waiting:
        bind.execute(sa.text(f"CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ('{low}') TO ('{high}')"))
        return 0
    # A row linked to by another table cannot move between partitions (PostgreSQL looks
    # for the key in the partition it left), so the linking rows step aside meanwhile.
    stashed = []
    for linking, id_column, at_column in REFERENCED_BY.get(table, ()):
        stash = f"pg_temp.moving_{linking}"
        bind.execute(sa.text(f"CREATE TEMP TABLE IF NOT EXISTS moving_{linking} (LIKE {linking}) ON COMMIT DROP"))
        bind.execute(sa.text(
            f"WITH gone AS (DELETE FROM {linking} WHERE {id_column} IS NOT NULL AND {at_column} >= :low "
            f"AND {at_column} < :high RETURNING *) INSERT INTO {stash} SELECT * FROM gone"),
            {"low": low, "high": high})
        stashed.append((linking, stash))
    bind.execute(sa.text(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    bind.execute(sa.text(
        f"WITH moved AS (DELETE FROM {default} WHERE {key} >= :low AND {key} < :high RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved"), {"low": low, "high": high})
    bind.execute(sa.text(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{low}') TO ('{high}')"))
    for linking, stash in stashed:
        bind.execute(sa.text(f"INSERT INTO {linking} SELECT * FROM {stash}"))
        bind.execute(sa.text(f"DELETE FROM {stash}"))
    log.warning("partition %s created with %d rows moved out of %s", name, waiting, default)
    return waiting


def _exists(bind, name: str) -> bool:
    return bind.execute(sa.text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None


@dataclass
class Maintenance:
    created: list[str] = field(default_factory=list)
    moved: int = 0                                    # rows moved out of DEFAULT
    waiting: dict[str, int] = field(default_factory=dict)  # rows still in DEFAULT, per table


def ensure_months(bind, now: datetime, ahead: int = MONTHS_AHEAD, since: datetime | None = None) -> Maintenance:
    """This month's partition and `ahead` more (and every month from `since`'s, when
    given: a bulk load of past data), for every partitioned table. Call in a
    transaction; a second call creates nothing."""
    done = Maintenance()
    if bind.dialect.name != "postgresql":
        return done
    # One run at a time (a hand run beside the cron's): the second waits, then finds all made.
    bind.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('community:partitions:' || current_schema()))"))
    first = month_of(since or now)
    last = add_months(month_of(now), ahead)
    for table in PARTITIONED:
        if not is_partitioned(bind, table):
            continue
        create_default(bind, table)
        month = first
        while month <= last:
            moved = create_month(bind, table, month)
            if moved is not None:
                done.created.append(partition_name(table, month))
                done.moved += moved
            month = add_months(month, 1)
    done.waiting = default_rows(bind)
    return done


def default_rows(bind, warn: bool = True) -> dict[str, int]:
    """Rows in each DEFAULT partition: a month nobody created (the job did not run, or a
    row dated far back or ahead). Logged as a warning when any (the job's; /metrics
    shows them as a gauge without logging)."""
    waiting = {}
    for table in PARTITIONED:
        if is_partitioned(bind, table) and _exists(bind, default_name(table)):
            waiting[table] = bind.execute(sa.text(f"SELECT count(*) FROM {default_name(table)}")).scalar()
            if waiting[table] and warn:
                log.warning("%d rows of %s are in its DEFAULT partition: a month without its "
                            "partition (run the partition job)", waiting[table], table)
    return waiting


def drop_months_before(bind, table: str, cutoff: datetime) -> list[str]:
    """Detach and drop every month of `table` that ends on or before `cutoff` (all its
    rows are older). Returns the partitions dropped; [] where the table is not partitioned."""
    dropped = []
    for month in months(bind, table):
        if datetime.combine(add_months(month, 1), datetime.min.time(), timezone.utc) > _aware(cutoff):
            break
        name = partition_name(table, month)
        bind.execute(sa.text(f"ALTER TABLE {table} DETACH PARTITION {name}"))
        bind.execute(sa.text(f"DROP TABLE {name}"))
        dropped.append(name)
    return dropped


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
