"""SLA policies (seeded with DOMAIN.md's defaults), working-day overrides, the outbox,
and the SLA sweep's cursor on tickets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 20:45:00.000000
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import community.core.dbtypes
from community.core.migrating import commit, create_index, run_sliced


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# DOMAIN.md "Clocks": 24 h first response; acceptance urgent 1 h, utilities 2 h,
# general 24 h; resolution urgent 24 h, general 7 working days, complex 15.
SEED = [
    ("urgent", 24, 1, "hours", 24),
    ("utilities", 24, 2, "working_days", 7),
    ("general", 24, 24, "working_days", 7),
    ("complex", 24, 24, "working_days", 15),
]
SEED_FROM = datetime(2000, 1, 1, tzinfo=timezone.utc)


def upgrade():
    policies = op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sla_class', sa.String(length=16), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('effective_from', community.core.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('response_hours', sa.Integer(), nullable=False),
    sa.Column('accept_hours', sa.Integer(), nullable=False),
    sa.Column('resolve_unit', sa.String(length=16), nullable=False),
    sa.Column('resolve_amount', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', community.core.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("sla_class IN ('urgent', 'utilities', 'general', 'complex')", name=op.f('ck_sla_policies_sla_class')),
    sa.CheckConstraint("resolve_unit IN ('hours', 'working_days')", name=op.f('ck_sla_policies_resolve_unit')),
    sa.CheckConstraint('response_hours BETWEEN 1 AND 720 AND accept_hours BETWEEN 1 AND 720 AND resolve_amount BETWEEN 1 AND 720', name=op.f('ck_sla_policies_amounts')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_sla_policies_category_id_categories')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sla_policies_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies'))
    )
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.create_index('ix_sla_policies_lookup', ['sla_class', 'category_id', 'effective_from'], unique=False)

    op.create_table('sla_calendar_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', community.core.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sla_calendar_overrides_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_calendar_overrides')),
    sa.UniqueConstraint('day', name=op.f('uq_sla_calendar_overrides_day'))
    )

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', community.core.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('enqueued_at', community.core.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('done_at', community.core.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['done_at', 'enqueued_at'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_check_at', community.core.dbtypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sla_flags', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('resolve_started_at', community.core.dbtypes.UTCDateTime(), nullable=True))

    now = datetime.now(timezone.utc)
    op.bulk_insert(policies, [
        {"sla_class": c, "category_id": None, "effective_from": SEED_FROM, "response_hours": r,
         "accept_hours": a, "resolve_unit": u, "resolve_amount": n,
         "note": "DOMAIN.md defaults", "created_at": now, "created_by_id": None}
        for c, r, a, u, n in SEED])
    commit(op)  # ADD COLUMN's lock on tickets goes before the fill (issue 30)

    # Requests filed before this revision: the first sweep looks at each one still
    # running (or resolved, for closing), replays its marks and sets the cursor.
    # In id slices, each committed on its own.
    run_sliced(op, 'tickets', [
        "UPDATE tickets SET sla_check_at = arrived_at "
        "WHERE state NOT IN ('closed', 'merged', 'cancelled') AND id >= :low AND id < :high",
        "UPDATE tickets SET resolve_started_at = accepted_at "
        "WHERE resolve_due_at IS NOT NULL AND accepted_at IS NOT NULL AND id >= :low AND id < :high"],
        '0005 tickets')
    create_index(op, 'ix_tickets_sla_check_at', 'tickets', ['sla_check_at'])


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_sla_check_at'))
        batch_op.drop_column('resolve_started_at')
        batch_op.drop_column('sla_flags')
        batch_op.drop_column('sla_check_at')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')
    op.drop_table('outbox')
    op.drop_table('sla_calendar_overrides')
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_policies_lookup')
    op.drop_table('sla_policies')
