"""Service providers' credit and 楼门（栋）长 (issue 29, sections 2 and 3)

- providers: registered per community (name, field, licence no., contact), whether
  their accounts answer requests routed to them;
- ticket_providers: the provider a request names, and whether it was routed to it;
- provider_commendations: 表扬 entered by the community or street;
- users.role gains `provider`; provider_accounts names each such account's provider;
- building_heads: residents appointed 楼门长 of buildings of a grid, kept as history.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 05:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import community.core.dbtypes
from community.core.migrating import add_check


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

UTC = community.core.dbtypes.UTCDateTime
OLD_ROLES = ('resident', 'grid', 'community', 'street', 'county', 'department', 'supervisor', 'admin')
NEW_ROLES = OLD_ROLES + ('provider',)


def _in(column, values):
    return column + " IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table('providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('licence_no', sa.String(length=64), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('accounts_enabled', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint(_in('field', ('elderly', 'childcare', 'housekeeping', 'property')),
                       name=op.f('ck_providers_field')),
    sa.ForeignKeyConstraint(['community_id'], ['units.id'], name=op.f('fk_providers_community_id_units')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_providers_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers')),
    )
    op.create_index('ix_providers_community_active', 'providers', ['community_id', 'active'])

    op.create_table('ticket_providers',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('routed', sa.Boolean(), nullable=False),
    sa.Column('named_at', UTC(), nullable=False),
    sa.Column('named_by_id', sa.Integer(), nullable=True),
    sa.Column('routed_at', UTC(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_providers_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_ticket_providers_provider_id_providers')),
    sa.ForeignKeyConstraint(['named_by_id'], ['users.id'], name=op.f('fk_ticket_providers_named_by_id_users')),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_providers')),
    )
    op.create_index('ix_ticket_providers_provider', 'ticket_providers', ['provider_id', 'routed'])

    op.create_table('provider_commendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('at', UTC(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_commendations_provider_id_providers')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_provider_commendations_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_commendations')),
    )
    op.create_index(op.f('ix_provider_commendations_provider_id'), 'provider_commendations', ['provider_id'])

    # NOT VALID, then validated after its own commit on PostgreSQL: users stay writable
    # while they are checked (issue 30).
    add_check(op, 'ck_users_role', 'users', _in('role', NEW_ROLES), replaces='ck_users_role')

    op.create_table('provider_accounts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_provider_accounts_user_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_accounts_provider_id_providers')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_provider_accounts')),
    )
    op.create_index(op.f('ix_provider_accounts_provider_id'), 'provider_accounts', ['provider_id'])

    op.create_table('building_heads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('building', sa.String(length=60), nullable=False),
    sa.Column('appointed_at', UTC(), nullable=False),
    sa.Column('appointed_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', UTC(), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_building_heads_user_id_users')),
    sa.ForeignKeyConstraint(['grid_id'], ['units.id'], name=op.f('fk_building_heads_grid_id_units')),
    sa.ForeignKeyConstraint(['appointed_by_id'], ['users.id'], name=op.f('fk_building_heads_appointed_by_id_users')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_building_heads_ended_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building_heads')),
    )
    op.create_index('ix_building_heads_user_ended', 'building_heads', ['user_id', 'ended_at'])
    op.create_index('ix_building_heads_grid_ended', 'building_heads', ['grid_id', 'ended_at'])


def downgrade():
    op.drop_index('ix_building_heads_grid_ended', table_name='building_heads')
    op.drop_index('ix_building_heads_user_ended', table_name='building_heads')
    op.drop_table('building_heads')
    op.drop_index(op.f('ix_provider_accounts_provider_id'), table_name='provider_accounts')
    op.drop_table('provider_accounts')
    op.execute("DELETE FROM users WHERE role = 'provider'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), _in('role', OLD_ROLES))
    op.drop_index(op.f('ix_provider_commendations_provider_id'), table_name='provider_commendations')
    op.drop_table('provider_commendations')
    op.drop_index('ix_ticket_providers_provider', table_name='ticket_providers')
    op.drop_table('ticket_providers')
    op.drop_index('ix_providers_community_active', table_name='providers')
    op.drop_table('providers')
