"""Text messages as gateway templates, with receipts and opt-outs (issue 26)

- notifications: template, params, status (+ when, why), gateway_ref (the gateway's
  id, which its receipt names). Rows already sent become `sent`; unsent rows with a
  phone stay `pending` but have no template, so the sender marks them refused
  (a gateway takes no free text) and staff see the resident was not reached;
- sms_opt_outs: numbers that asked for no notices (退订).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 03:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import community.core.dbtypes
from community.core.migrating import commit, create_index, run_sliced


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

UTC = community.core.dbtypes.UTCDateTime


def upgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('template', sa.String(32), nullable=False, server_default=''))
        batch.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('status', sa.String(16), nullable=False, server_default=''))
        batch.add_column(sa.Column('status_at', UTC(), nullable=True))
        batch.add_column(sa.Column('status_detail', sa.String(200), nullable=False, server_default=''))
        batch.add_column(sa.Column('gateway_ref', sa.String(64), nullable=True))
    # The columns' lock goes, then the fill in committed id slices and the index built
    # CONCURRENTLY on PostgreSQL: notifications stay writable (issue 30).
    commit(op)
    run_sliced(op, 'notifications', [
        "UPDATE notifications SET status = 'sent' WHERE phone <> '' AND sent_at IS NOT NULL "
        "AND id >= :low AND id < :high",
        "UPDATE notifications SET status = 'pending' WHERE phone <> '' AND sent_at IS NULL "
        "AND id >= :low AND id < :high"], '0021 notifications')
    create_index(op, 'ix_notifications_gateway_ref', 'notifications', ['gateway_ref'])
    op.create_table(
        'sms_opt_outs',
        sa.Column('phone', sa.String(20), primary_key=True),
        sa.Column('at', UTC(), nullable=False),
        sa.Column('source', sa.String(16), nullable=False, server_default='admin'),
    )


def downgrade():
    op.drop_table('sms_opt_outs')
    with op.batch_alter_table('notifications') as batch:
        batch.drop_index('ix_notifications_gateway_ref')
        for name in ('gateway_ref', 'status_detail', 'status_at', 'status', 'params', 'template'):
            batch.drop_column(name)
