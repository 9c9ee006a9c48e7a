"""History partitioned by month on PostgreSQL (issue 31): ticket_events and notifications

Both tables become RANGE-partitioned by month (ticket_events on `at`, notifications on
`created_at`), with a DEFAULT partition; community.core.partitions keeps the months
ahead and retention drops old months of notifications whole.

A partitioned table is unique only on keys that hold its partition key, so:
- ticket_events' key is (id, at); notifications and ticket_photos gain `event_at` and
  link to an event by (event_id, event_at), both or neither (a CHECK);
- notifications' key is (id, created_at) and its one-message-per-event rule becomes
  UNIQUE (event_id, created_at) with CHECK (created_at = event_at): a message about an
  event carries the event's time, so this is as strict as UNIQUE (event_id) was.

Without a long lock, for each table: the partitioned table is built beside the old one
(with the old one's foreign keys; the old one's are dropped, the trigger's writes into
the new one check them), a trigger on the old one mirrors every write made meanwhile,
rows are copied in id slices each committed on its own (core.migrating.run_sliced),
then one short transaction renames the tables, moves the id sequence over and drops the
old table. Each step that takes locks waits at most LOCK_WAIT for any, and a deadlock
with a request's transaction or a timeout rolls back only that step (a savepoint), which
is tried again. ticket_photos' link to events is added NOT VALID, then validated (which
does not block writes); notifications' new table has it from the start, and the copy
checks every row against it. SQLite keeps plain tables: only the event_at columns, the
links and the unique rule change there.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 07:30:00.000000
"""
import time
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import community.core.dbtypes

from community.core import partitions
from community.core.migrating import run_sliced

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

LOCK_WAIT = '3s'  # the longest a step of the swap waits for a lock before it backs off
LINKED = ('notifications', 'ticket_photos')  # the tables that name an event
INDEXES = {
    'ticket_events': {'ix_ticket_events_ticket_at': '(ticket_id, at)'},
    'notifications': {'ix_notifications_user_created': '(user_id, created_at)',
                      'ix_notifications_unsent': '(sent_at, created_at)',
                      'ix_notifications_ticket': '(ticket_id)',
                      'ix_notifications_gateway_ref': '(gateway_ref)'},
}
EVENT_FK = "FOREIGN KEY (event_id, event_at) REFERENCES ticket_events (id, at)"
EVENT_LINK = "(event_id IS NULL) = (event_at IS NULL)"  # both or neither: a half-NULL key is not checked


def _pg():
    return op.get_bind().dialect.name == 'postgresql'


def _run(sql, **params):
    return op.get_bind().execute(sa.text(sql), params)


def upgrade():
    for table in LINKED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('event_at', community.core.dbtypes.UTCDateTime(), nullable=True))
    for table in LINKED:
        run_sliced(op, table, f"UPDATE {table} SET event_at = (SELECT e.at FROM ticket_events e "
                   f"WHERE e.id = {table}.event_id) WHERE event_id IS NOT NULL AND event_at IS NULL "
                   "AND id >= :low AND id < :high", f'0030 {table}.event_at')
    if not _pg():
        _sqlite_links(upgrade=True)
        return
    _rebuild('ticket_events', partitioned=True)
    _link('ticket_photos', EVENT_FK)
    _rebuild('notifications', partitioned=True)  # its new table links to events from the start


def downgrade():
    if not _pg():
        _sqlite_links(upgrade=False)
    else:
        _rebuild('notifications', partitioned=False)
        _rebuild('ticket_events', partitioned=False)
        for table in LINKED:
            _run(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS ck_{table}_event_link")
            _link(table, "FOREIGN KEY (event_id) REFERENCES ticket_events (id)")
    for table in LINKED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('event_at')


def _sqlite_links(upgrade: bool):
    for table in LINKED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_event_id_ticket_events', type_='foreignkey')
            if table == 'notifications':
                batch_op.drop_constraint('uq_notifications_event_id', type_='unique')
            if upgrade:
                batch_op.create_foreign_key(f'fk_{table}_event_id_ticket_events', 'ticket_events',
                                            ['event_id', 'event_at'], ['id', 'at'])
                batch_op.create_check_constraint('event_link', EVENT_LINK)
                if table == 'notifications':
                    batch_op.create_unique_constraint('uq_notifications_event_id', ['event_id', 'created_at'])
                    batch_op.create_check_constraint('event_time', 'event_at IS NULL OR created_at = event_at')
            else:
                batch_op.create_foreign_key(f'fk_{table}_event_id_ticket_events', 'ticket_events',
                                            ['event_id'], ['id'])
                batch_op.drop_constraint(f'ck_{table}_event_link', type_='check')
                if table == 'notifications':
                    batch_op.drop_constraint('ck_notifications_event_time', type_='check')
                    batch_op.create_unique_constraint('uq_notifications_event_id', ['event_id'])


def _link(table, definition):
    """The link to an event, NOT VALID (a moment's lock, retried), then validated on its
    own (a scan that blocks no writes)."""
    partitioned = definition == EVENT_FK

    def add():
        _run(f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_event_id_ticket_events {definition} NOT VALID")
        if partitioned:
            _run(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_event_link CHECK ({EVENT_LINK}) NOT VALID")
    _retrying(add)
    with op.get_context().autocommit_block():
        _run(f"ALTER TABLE {table} VALIDATE CONSTRAINT fk_{table}_event_id_ticket_events")
        if partitioned:
            _run(f"ALTER TABLE {table} VALIDATE CONSTRAINT ck_{table}_event_link")


def _rebuild(table: str, partitioned: bool):
    """`table` rebuilt as a partitioned table by month (or back to a plain one): built
    beside it as <table>_next, kept current by a trigger, filled in committed slices,
    swapped in one short transaction. Each step that takes locks is retried (_retrying)."""
    key = partitions.PARTITIONED[table]
    new = f'{table}_next'
    pk = f'id, {key}' if partitioned else 'id'
    foreign = _run("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' AND conparentid = 0", t=table).all()
    _retrying(lambda: _build(table, new, partitioned, key, pk, foreign))
    _commit()  # _build's locks on tickets, users… go now
    _retrying(lambda: _start_mirror(table, new, key, pk, foreign))
    run_sliced(op, table, f"INSERT INTO {new} SELECT * FROM {table} WHERE id >= :low AND id < :high "
               "ON CONFLICT DO NOTHING", f'0030 {table}')
    _retrying(lambda: _swap(table, new, partitioned, foreign))
    _commit()  # the swap: what follows waits for other locks, holding none


def _commit():
    with op.get_context().autocommit_block():
        pass


def _build(table, new, partitioned, key, pk, foreign):
    """The new table beside the old one: its key, indexes, months, then its foreign keys
    last, so the tables they name are locked only for a moment before the commit."""
    by = f' PARTITION BY RANGE ({key})' if partitioned else ''
    _run(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){by}")
    _run(f"ALTER TABLE {new} ADD CONSTRAINT pk_{new} PRIMARY KEY ({pk})")
    for name, columns in INDEXES[table].items():
        _run(f"CREATE INDEX {name}_next ON {new} {columns}")
    if table == 'notifications':
        if partitioned:
            _run(f"ALTER TABLE {new} ADD CONSTRAINT ck_notifications_event_link CHECK ({EVENT_LINK})")
            _run(f"ALTER TABLE {new} ADD CONSTRAINT ck_notifications_event_time "
                 "CHECK (event_at IS NULL OR created_at = event_at)")
        else:  # the old single-column link is put back by downgrade() with ticket_events
            _run(f"ALTER TABLE {new} DROP CONSTRAINT IF EXISTS ck_notifications_event_time")
            _run(f"ALTER TABLE {new} DROP CONSTRAINT IF EXISTS ck_notifications_event_link")
        unique = 'event_id, created_at' if partitioned else 'event_id'
        _run(f"ALTER TABLE {new} ADD CONSTRAINT uq_notifications_event_id_next UNIQUE ({unique})")
    if partitioned:
        _months(table, key)
    for name, definition in foreign:
        if name == f'fk_{table}_event_id_ticket_events':
            continue  # the link to an event, in its new form below (or put back by downgrade)
        _run(f"ALTER TABLE {new} ADD CONSTRAINT {name}_next {definition}")
    if table == 'notifications' and partitioned:
        _run(f"ALTER TABLE {new} ADD CONSTRAINT fk_notifications_event_id_ticket_events_next {EVENT_FK}")


def _start_mirror(table, new, key, pk, foreign):
    """The trigger, and the old table's foreign keys dropped: dropping one locks the table
    it names (every month of ticket_events, or tickets, users…), and the swap must lock
    only the two tables it swaps, else a request's transaction holding one of those and
    waiting for this table deadlocks with it. From now on the mirror's write into the new
    table checks the same keys (and _link validates ticket_photos' links to events)."""
    _mirror(table, new, key, pk)
    dropped = [(table, name) for name, _ in foreign]
    if table == 'ticket_events':
        dropped += [(linked, f'fk_{linked}_event_id_ticket_events') for linked in LINKED]
    for owner, name in dropped:
        _run(f"ALTER TABLE {owner} DROP CONSTRAINT IF EXISTS {name}")


def _swap(table, new, partitioned, foreign):
    """One short transaction: the new table takes the old one's name and sequence."""
    _run(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    if table == 'notifications':  # written meanwhile by code that knew no event_at
        _run(f"UPDATE {new} SET event_at = e.at FROM ticket_events e "
             f"WHERE e.id = {new}.event_id AND {new}.event_at IS NULL")
    _run(f"DROP TRIGGER {table}_mirror ON {table}")
    _run(f"DROP FUNCTION {table}_mirror()")
    _run(f"ALTER SEQUENCE {table}_id_seq OWNED BY {new}.id")
    _run(f"DROP TABLE {table}")
    _run(f"ALTER TABLE {new} RENAME TO {table}")
    _run(f"ALTER TABLE {table} RENAME CONSTRAINT pk_{new} TO pk_{table}")
    for name in INDEXES[table]:
        _run(f"ALTER INDEX {name}_next RENAME TO {name}")
    for name, _ in foreign:
        if name != f'fk_{table}_event_id_ticket_events':
            _run(f"ALTER TABLE {table} RENAME CONSTRAINT {name}_next TO {name}")
    if table == 'notifications':
        if partitioned:
            _run("ALTER TABLE notifications RENAME CONSTRAINT fk_notifications_event_id_ticket_events_next "
                 "TO fk_notifications_event_id_ticket_events")
        _run("ALTER TABLE notifications RENAME CONSTRAINT uq_notifications_event_id_next TO uq_notifications_event_id")


def _retrying(step, attempts: int = 6):
    """Run step() in a savepoint, waiting at most LOCK_WAIT for each lock: a busy table
    (lock timeout) or a deadlock with a request's transaction rolls back to the savepoint
    (its locks released, the request goes on) and the step is tried again a moment later."""
    bind = op.get_bind()
    _run(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
    for attempt in range(attempts):
        savepoint = bind.begin_nested()
        try:
            result = step()
        except sa.exc.OperationalError:
            savepoint.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
        else:
            savepoint.commit()
            return result


def _months(table: str, key: str):
    """A partition for every month from the oldest row to three months past today, and DEFAULT."""
    oldest = _run(f"SELECT min({key}) FROM {table}").scalar()
    now = datetime.now(timezone.utc)
    month = partitions.month_of(oldest.replace(tzinfo=timezone.utc) if oldest else now)
    last = partitions.add_months(partitions.month_of(now), partitions.MONTHS_AHEAD)
    bind = op.get_bind()
    while month <= last:
        low, high = partitions.month_bounds(month)
        _run(f"CREATE TABLE {partitions.partition_name(table, month)} PARTITION OF {table}_next "
             f"FOR VALUES FROM ('{low}') TO ('{high}')")
        month = partitions.add_months(month, 1)
    bind.execute(sa.text(f"CREATE TABLE {partitions.default_name(table)} PARTITION OF {table}_next DEFAULT"))


def _mirror(table: str, new: str, key: str, pk: str):
    """While the copy runs, every write to the old table is made to the new one too:
    an upsert, so a slice copied before or after a write ends with the written row."""
    columns = [row[0] for row in _run(
        "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum", t=table)]
    assign = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in ('id', key))
    _run(f"""
        CREATE FUNCTION {table}_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR OLD.id <> NEW.id OR OLD.{key} <> NEW.{key}) THEN
                DELETE FROM {new} WHERE id = OLD.id AND {key} = OLD.{key};
            END IF;
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO {new} SELECT (NEW).* ON CONFLICT ({pk}) DO UPDATE SET {assign};
            END IF;
            RETURN NULL;
        END $$""")
    _run(f"CREATE TRIGGER {table}_mirror AFTER INSERT OR UPDATE OR DELETE ON {table} "
         f"FOR EACH ROW EXECUTE FUNCTION {table}_mirror()")
