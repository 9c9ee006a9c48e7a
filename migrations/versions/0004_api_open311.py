"""api tokens, open311 clients and requests, grid geometry, request points

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-25 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import community.core.dbtypes


revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('can_write', sa.Boolean(), nullable=False),
    sa.Column('created_at', community.core.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', community.core.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('last_used_at', community.core.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', community.core.dbtypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('open311_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('created_at', community.core.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', community.core.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', community.core.dbtypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_clients')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_clients_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_open311_clients_name'))
    )

    op.create_table('open311_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('device_id', sa.String(length=100), nullable=False),
    sa.Column('account_id', sa.String(length=100), nullable=False),
    sa.Column('address_id', sa.String(length=64), nullable=False),
    sa.Column('media_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', community.core.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['open311_clients.id'], name=op.f('fk_open311_requests_client_id_open311_clients')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_open311_requests_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_requests')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_open311_requests_ticket_id')),
    sa.UniqueConstraint('token', name=op.f('uq_open311_requests_token'))
    )
    with op.batch_alter_table('open311_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_requests_client_id'), ['client_id'], unique=False)

    # Grids may carry a boundary (GeoJSON Polygon/MultiPolygon) with its bounding
    # box, or only a centre point.
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('boundary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('bbox_south', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('bbox_west', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('bbox_north', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('bbox_east', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('centre_lat', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('centre_long', sa.Double(), nullable=True))
        batch_op.create_index('ix_units_bbox', ['bbox_south', 'bbox_north'], unique=False)
        batch_op.create_index('ix_units_centre', ['centre_lat', 'centre_long'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index('ix_units_centre')
        batch_op.drop_index('ix_units_bbox')
        batch_op.drop_column('centre_long')
        batch_op.drop_column('centre_lat')
        batch_op.drop_column('bbox_east')
        batch_op.drop_column('bbox_north')
        batch_op.drop_column('bbox_west')
        batch_op.drop_column('bbox_south')
        batch_op.drop_column('boundary')

    with op.batch_alter_table('open311_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_requests_client_id'))

    op.drop_table('open311_requests')
    op.drop_table('open311_clients')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
