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
        batch.create_index('ix_notifications_gateway_ref', ['gateway_ref'])
    op.execute("UPDATE notifications SET status = 'sent' WHERE phone <> '' AND sent_at IS NOT NULL")
    op.execute("UPDATE notifications SET status = 'pending' WHERE phone <> '' AND sent_at IS NULL")
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
