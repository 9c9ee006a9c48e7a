"""tickets: the live requests of each grid, community, street and county (partial indexes)

A work queue shows how many of its requests are in each state. Counting every
state read every request a unit ever had: a county's 390,000 at 5 million
requests, 0.75 s on every queue page (0.95 s for the admin's 5 million). The
counts now cover the live states only (open, or resolved and waiting for the
rating), and these indexes hold only those rows (85,000 in the whole 5 million
city), so a county's counts and its open queue read its own few thousand.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 07:30:00.000000
"""
from alembic import op

from community.core.migrating import create_index


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# community.tickets.states.LIVE, written out: a migration keeps the values it was written with.
LIVE = ("state IN ('accepted', 'escalated', 'in_progress', 'reopened', 'resolved', 'returned', "
        "'submitted')")
AREAS = ('grid', 'community', 'street', 'county')


def upgrade():
    for area in AREAS:
        # CONCURRENTLY on PostgreSQL: tickets stay writable (issue 30).
        create_index(op, f'ix_tickets_{area}_live', 'tickets', [f'{area}_id', 'state'],
                     where=LIVE, unique=False)


def downgrade():
    for area in AREAS:
        op.drop_index(f'ix_tickets_{area}_live', table_name='tickets')
