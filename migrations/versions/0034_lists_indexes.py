"""Indexes for pages that read a community's or a county's slice of the city (issue 30)

- tickets (community_id, submitted_at, category_id): the 三项清单 counts a page of
  communities' requests of the last weeks by category; with one index per column it read
  every request the communities ever had, or the whole city's window;
- users (home_community_id): the residents waiting for their community to verify them
  (/residency) were found by reading every resident of the city.

Both built CONCURRENTLY on PostgreSQL (community.core.migrating): the tables stay writable.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 13:30:00.000000
"""
from alembic import op

from community.core.migrating import create_index


revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    create_index(op, 'ix_tickets_community_submitted', 'tickets',
                 ['community_id', 'submitted_at', 'category_id'], unique=False)
    create_index(op, 'ix_users_home_community', 'users', ['home_community_id'], unique=False)


def downgrade():
    op.drop_index('ix_users_home_community', table_name='users')
    op.drop_index('ix_tickets_community_submitted', table_name='tickets')
