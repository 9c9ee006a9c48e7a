"""Exchange with other systems (issue 27)

- tickets.external_due_at: an upstream platform's deadline for its order, a clock
  beside ours;
- upstream_orders: one per (upstream, order id), the request it became;
- webhook_subscriptions: an admin's subscription for an API or Open311 client;
- exchange_deliveries: every signed delivery to another system and its tries.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 03:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import community.core.dbtypes


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

UTC = community.core.dbtypes.UTCDateTime


def upgrade():
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('external_due_at', UTC(), nullable=True))
    op.create_table(
        'upstream_orders',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('upstream', sa.String(32), nullable=False),
        sa.Column('order_id', sa.String(64), nullable=False),
        sa.Column('ticket_id', sa.Integer(), sa.ForeignKey('tickets.id'), nullable=False, unique=True),
        sa.Column('category_code', sa.String(32), nullable=False),
        sa.Column('mapped', sa.Boolean(), nullable=False),
        sa.Column('due_at', UTC(), nullable=False),
        sa.Column('received_at', UTC(), nullable=False),
        sa.UniqueConstraint('upstream', 'order_id', name='uq_upstream_orders_order'),
    )
    op.create_table(
        'webhook_subscriptions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('open311_client_id', sa.Integer(), sa.ForeignKey('open311_clients.id'), nullable=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=True),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('secret', sa.String(64), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('revoked_at', UTC(), nullable=True),
    )
    for column in ('user_id', 'open311_client_id', 'unit_id'):
        op.create_index(f'ix_webhook_subscriptions_{column}', 'webhook_subscriptions', [column])
    op.create_table(
        'exchange_deliveries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(40), nullable=False, unique=True),
        sa.Column('target', sa.String(48), nullable=False),
        sa.Column('subscription_id', sa.Integer(), sa.ForeignKey('webhook_subscriptions.id'), nullable=True),
        sa.Column('ticket_id', sa.Integer(), sa.ForeignKey('tickets.id'), nullable=True),
        sa.Column('event', sa.String(32), nullable=False),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('last_tried_at', UTC(), nullable=True),
        sa.Column('delivered_at', UTC(), nullable=True),
    )
    op.create_index('ix_exchange_deliveries_target', 'exchange_deliveries', ['target', 'ticket_id', 'id'])


def downgrade():
    op.drop_index('ix_exchange_deliveries_target', 'exchange_deliveries')
    op.drop_table('exchange_deliveries')
    for column in ('user_id', 'open311_client_id', 'unit_id'):
        op.drop_index(f'ix_webhook_subscriptions_{column}', 'webhook_subscriptions')
    op.drop_table('webhook_subscriptions')
    op.drop_table('upstream_orders')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('external_due_at')
