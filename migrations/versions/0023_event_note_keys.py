"""System notes as message ids (issue 24): ticket_events.note_key and note_params

A note the system writes is stored as a message id and its parameters (JSON) and shown
in the reader's language (community/tickets/notes.py). Existing rows:

- the clock of a 时限预警 / 超时 / 差评整改超时 was stored as its code ("accept"): those
  rows get the key `clock` with that code, and their text the Chinese label;
- "由工作人员代为提交（渠道：grid_worker）。" gets the key `filed_on_behalf` with the
  channel, and its text the channel's Chinese label;
- every other note is left as written (shown as it is).

Staff search (community/workqueue/search.py), indexed:
- ix_tickets_contact_phone, and ix_tickets_phone_last4 on the phone's last 4 characters;
- SQLite: the FTS5 table ticket_search (trigram tokenizer) over tickets.text and address,
  external content kept by triggers; PostgreSQL: pg_trgm GIN indexes on text and address.

Without a long lock (issue 30): the notes are rewritten in SQL, in id slices each committed
on its own, and the indexes on tickets are built CONCURRENTLY on PostgreSQL.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 03:00:00.000000
"""
import json

from alembic import op
import sqlalchemy as sa

from community.core.migrating import commit, create_index, execute_index, run_sliced


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

CLOCKS = {"response": "首次响应", "accept": "签收", "resolve": "办结", "start": "差评回访", "close": "差评结案"}
CHANNELS = {"web": "网上提交", "hotline": "热线电话", "grid_worker": "网格员代办", "walk_in": "窗口代办",
            "api": "接口", "open311": "Open311"}


PREFIX, SUFFIX = "由工作人员代为提交（渠道：", "）。"


def upgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_key', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('note_params', sa.Text(), nullable=True))
    # The columns' lock goes; the notes are rewritten in committed id slices (issue 30: the
    # whole-table updates of millions of events ran under that lock).
    commit(op)
    run_sliced(op, 'ticket_events', [_clock_notes(), _on_behalf_notes()], '0023 ticket_events',
               **_note_params())
    _search_upgrade(op.get_bind())


def _note_params() -> dict:
    params = {"prefix": PREFIX + "%" + SUFFIX}
    for i, (code, label) in enumerate(CLOCKS.items()):
        params.update({f"c{i}": code, f"cp{i}": json.dumps({"clock": code}), f"ct{i}": f"{label}期限"})
    for i, (channel, label) in enumerate(CHANNELS.items()):
        params.update({f"n{i}": f"{PREFIX}{channel}{SUFFIX}", f"np{i}": json.dumps({"channel": channel}),
                       f"nt{i}": f"{PREFIX}{label}{SUFFIX}"})
    return params


def _clock_notes() -> str:
    """The clock of a 时限预警 / 超时 / 差评整改超时 note: key `clock`, its Chinese label."""
    count = range(len(CLOCKS))
    params = " ".join(f"WHEN :c{i} THEN :cp{i}" for i in count)
    text = " ".join(f"WHEN :c{i} THEN :ct{i}" for i in count)
    return (f"UPDATE ticket_events SET note_key = 'clock', note_params = CASE note {params} END, "
            f"note = CASE note {text} END "
            "WHERE action IN ('sla_warning', 'sla_breach', 'case_overdue') "
            f"AND note IN ({', '.join(f':c{i}' for i in count)}) AND id >= :low AND id < :high")


def _on_behalf_notes() -> str:
    """"由工作人员代为提交（渠道：web）。": key `filed_on_behalf` with the channel (a code of
    [a-z0-9_]), its text the channel's Chinese label (a channel without one keeps its code)."""
    channel = f"substr(note, {len(PREFIX) + 1}, length(note) - {len(PREFIX) + len(SUFFIX)})"
    if op.get_bind().dialect.name == "postgresql":
        code_only = f"{channel} ~ '^[a-z0-9_]+$'"
    else:
        code_only = f"{channel} <> '' AND {channel} NOT GLOB '*[^a-z0-9_]*'"
    count = range(len(CHANNELS))
    params = " ".join(f"WHEN :n{i} THEN :np{i}" for i in count)
    text = " ".join(f"WHEN :n{i} THEN :nt{i}" for i in count)
    return (f"UPDATE ticket_events SET note_key = 'filed_on_behalf', "
            f"note_params = CASE note {params} ELSE '{{\"channel\": \"' || {channel} || '\"}}' END, "
            f"note = CASE note {text} ELSE note END "
            f"WHERE action = 'submit' AND note LIKE :prefix AND {code_only} AND id >= :low AND id < :high")


def _search_upgrade(conn):
    create_index(op, 'ix_tickets_contact_phone', 'tickets', ['contact_phone'])
    execute_index(op, "CREATE INDEX ix_tickets_phone_last4 ON tickets "
                      "(substr(contact_phone, length(contact_phone) - 3))")
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text(
            "CREATE VIRTUAL TABLE ticket_search USING fts5(text, address, content='tickets', "
            "content_rowid='id', tokenize='trigram')"))
        conn.execute(sa.text(
            "CREATE TRIGGER ticket_search_ai AFTER INSERT ON tickets BEGIN "
            "INSERT INTO ticket_search(rowid, text, address) VALUES (new.id, new.text, new.address); END"))
        conn.execute(sa.text(
            "CREATE TRIGGER ticket_search_ad AFTER DELETE ON tickets BEGIN "
            "INSERT INTO ticket_search(ticket_search, rowid, text, address) "
            "VALUES ('delete', old.id, old.text, old.address); END"))
        conn.execute(sa.text(
            "CREATE TRIGGER ticket_search_au AFTER UPDATE OF text, address ON tickets BEGIN "
            "INSERT INTO ticket_search(ticket_search, rowid, text, address) "
            "VALUES ('delete', old.id, old.text, old.address); "
            "INSERT INTO ticket_search(rowid, text, address) VALUES (new.id, new.text, new.address); END"))
        conn.execute(sa.text("INSERT INTO ticket_search(ticket_search) VALUES ('rebuild')"))
    elif conn.dialect.name == "postgresql":
        # In public, never in the app's own schema: a database holds one copy of an extension,
        # and a schema dropped with CASCADE (a test run's) would take it, and every other
        # schema's trigram index, with it. Backups restore it first (community/core/backup.py).
        # IF NOT EXISTS is not safe against a second migration doing the same at once (two
        # schemas of one database, as the parallel tests run): take turns on a lock.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('community:pg_trgm'))"))
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        # Wherever the extension lives (already installed elsewhere), name its operator class.
        schema = conn.execute(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'")).scalar()
        ops = f'"{schema}".gin_trgm_ops'
        for name in ("text", "address"):  # CONCURRENTLY: minutes each at 5 M requests
            execute_index(op, f"CREATE INDEX ix_tickets_{name}_trgm ON tickets USING gin ({name} {ops})")


def _search_downgrade(conn):
    if conn.dialect.name == "sqlite":
        for trigger in ("ticket_search_ai", "ticket_search_ad", "ticket_search_au"):
            conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))
        conn.execute(sa.text("DROP TABLE IF EXISTS ticket_search"))
    elif conn.dialect.name == "postgresql":
        for name in ("text", "address"):
            conn.execute(sa.text(f"DROP INDEX IF EXISTS ix_tickets_{name}_trgm"))
    conn.execute(sa.text("DROP INDEX IF EXISTS ix_tickets_phone_last4"))
    op.drop_index('ix_tickets_contact_phone', table_name='tickets')


def downgrade():
    conn = op.get_bind()
    _search_downgrade(conn)
    for code, label in CLOCKS.items():
        conn.execute(sa.text("UPDATE ticket_events SET note = :code WHERE note_key = 'clock' "
                             "AND note_params = :params"),
                     {"code": code, "params": json.dumps({"clock": code})})
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_column('note_params')
        batch_op.drop_column('note_key')
