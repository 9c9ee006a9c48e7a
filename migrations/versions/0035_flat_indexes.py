"""Indexes for two pages that read far more than they show (issue 30).

- ratings.rater_id: /account/data.json lists the ratings a resident gave; with no index
  every export read all ratings (3.2 M at 5 M requests: 475 ms for a resident with four).
- tickets (street_id | county_id, submitted_at): the street and county dashboards' map
  shows the period's latest 2,000 requests with a point; a county's were found by
  intersecting its 390,000 requests with the period's 200,000 (368 ms at 5 M, EXPLAIN
  ANALYZE), now read backwards from the period's end (44 ms).

Built CONCURRENTLY on PostgreSQL: no write lock.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 13:50:00.000000
"""
from alembic import op

from community.core.migrating import create_index


revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    create_index(op, 'ix_ratings_rater_id', 'ratings', ['rater_id'])
    for area in ("street", "county"):
        create_index(op, f'ix_tickets_{area}_submitted', 'tickets', [f'{area}_id', 'submitted_at'])


def downgrade():
    for area in ("street", "county"):
        op.drop_index(f'ix_tickets_{area}_submitted', table_name='tickets')
    op.drop_index('ix_ratings_rater_id', table_name='ratings')
