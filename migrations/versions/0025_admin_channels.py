"""Admin audit (admin_audit) and the upstream channel (issues 24 and 27)

- admin_audit: every change made on the admin pages (users, areas, categories,
  webhook subscriptions): who, when, what, the values set.
- webhook_subscriptions.paused_at: an admin pauses a subscription (nothing new is
  sent) and resumes it; deleting one sets revoked_at (its deliveries stay in the log).
- tickets.channel may be 'upstream': an order from an upstream platform (the city
  hotline's 派单, a command centre) is filed on that channel; the upstream it came
  from is named by its upstream_orders row. Existing orders' requests move from
  'hotline' to 'upstream'.

On SQLite the CHECK is widened in place (the documented writable_schema edit for a
constraint that only loosens, https://www.sqlite.org/lang_altertable.html "making
other kinds of table schema changes"): a batch copy of tickets would drop its search
triggers and expression index (0023).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 05:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import community.core.dbtypes
from community.core.migrating import add_check, run_sliced


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

OLD = "'api', 'open311')"
NEW = "'api', 'open311', 'upstream')"
CHANNELS = "('web', 'hotline', 'grid_worker', 'walk_in', 'api', 'open311'{})"


def _channel_check(conn, old, new, values):
    if conn.dialect.name == "sqlite":
        sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tickets'")).scalar()
        start = sql.index("ck_tickets_channel")
        end = sql.index(")", start) + 1
        clause = sql[start:end]
        if old not in clause:
            raise RuntimeError(f"unexpected channel CHECK: {clause}")
        version = conn.execute(sa.text("PRAGMA schema_version")).scalar()
        conn.execute(sa.text("PRAGMA writable_schema = ON"))
        conn.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'tickets'"),
                     {"sql": sql[:start] + clause.replace(old, new) + sql[end:]})
        conn.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
        conn.execute(sa.text("PRAGMA writable_schema = OFF"))
    else:
        # NOT VALID, then validated after its own commit: tickets stay writable while
        # their 5 million rows are checked (issue 30).
        add_check(op, 'ck_tickets_channel', 'tickets', f"channel IN {values}", replaces='ck_tickets_channel')


def upgrade():
    op.create_table(
        'admin_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', community.core.dbtypes.UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=80), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_admin_audit_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_audit')),
    )
    op.create_index(op.f('ix_admin_audit_at'), 'admin_audit', ['at'])
    op.create_index(op.f('ix_admin_audit_action'), 'admin_audit', ['action'])
    op.add_column('webhook_subscriptions', sa.Column('paused_at', community.core.dbtypes.UTCDateTime(), nullable=True))
    conn = op.get_bind()
    _channel_check(conn, OLD, NEW, CHANNELS.format(", 'upstream'"))
    run_sliced(op, 'tickets', "UPDATE tickets SET channel = 'upstream' WHERE channel = 'hotline' AND id IN "
               "(SELECT ticket_id FROM upstream_orders) AND id >= :low AND id < :high", '0025 tickets')


def downgrade():
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE tickets SET channel = 'hotline' WHERE channel = 'upstream'"))
    _channel_check(conn, NEW, OLD, CHANNELS.format(""))
    with op.batch_alter_table('webhook_subscriptions') as batch_op:
        batch_op.drop_column('paused_at')
    op.drop_index(op.f('ix_admin_audit_action'), table_name='admin_audit')
    op.drop_index(op.f('ix_admin_audit_at'), table_name='admin_audit')
    op.drop_table('admin_audit')
