"""The sweep's other clocks: sla_flags and check_at on 差评 cases and assist tasks

Cases (1 working day to start, 5 to close) and 吹哨报到 assist tasks carry
their marks and a cursor like tickets do (0005), read by community.sla.side.
The indexes are partial: most rows are settled, with check_at NULL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 23:40:00.000000
"""
from alembic import op
import sqlalchemy as sa

import community.core.dbtypes
from community.core.migrating import commit, create_index, run_sliced


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ('rectification_cases', 'assist_tasks')


def upgrade():
    for table in TABLES:
        op.add_column(table, sa.Column('sla_flags', sa.Integer(), nullable=False, server_default='0'))
        op.add_column(table, sa.Column('check_at', community.core.dbtypes.UTCDateTime(), nullable=True))
    commit(op)  # ADD COLUMN's locks go before the fill (issue 30)
    # Rows still running: the first sweep looks at each one from its start,
    # replays the marks that fell due and sets the real cursor. In id slices, each
    # committed on its own (millions of rows at city scale), no Python loop.
    run_sliced(op, 'rectification_cases', "UPDATE rectification_cases SET check_at = opened_at "
               "WHERE state <> 'closed' AND id >= :low AND id < :high", '0011 rectification_cases')
    run_sliced(op, 'assist_tasks', "UPDATE assist_tasks SET check_at = created_at "
               "WHERE state IN ('open', 'accepted') AND id >= :low AND id < :high", '0011 assist_tasks')
    for table in TABLES:
        create_index(op, f'ix_{table}_check_at', table, ['check_at'], where='check_at IS NOT NULL',
                     unique=False)


def downgrade():
    for table in TABLES:
        op.drop_index(f'ix_{table}_check_at', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('check_at')
            batch_op.drop_column('sla_flags')
