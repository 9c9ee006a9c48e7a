"""Drop the indexes on the three deadline columns: no query filters or sorts by
them (queues and the sweep read next_due_at and sla_check_at), and every sweep
update had to write an entry into each.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = ('response_due_at', 'accept_due_at', 'resolve_due_at')


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f'ix_tickets_{column}')


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_index(f'ix_tickets_{column}', [column], unique=False)
