"""tickets: the open requests' deadlines by street and by county (partial indexes)

A street or county dashboard counts its overdue requests (street_id = ? AND
next_due_at < now). With one index per column the server ANDs the bitmap of every
request the street ever had (35,000 at 5 million requests) with the city's overdue
ones: 5 ms and growing with the data. These indexes hold only requests with a
deadline running (next_due_at is NULL once a request is closed), so they stay
small (40,000 entries at 5 million) and the count reads its own rows: 0.15 ms.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 05:45:00.000000
"""
from alembic import op

from community.core.migrating import create_index


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

RUNNING = "next_due_at IS NOT NULL"


def upgrade():
    for area in ('street', 'county'):
        # CONCURRENTLY on PostgreSQL: tickets stay writable (issue 30).
        create_index(op, f'ix_tickets_{area}_due', 'tickets', [f'{area}_id', 'next_due_at'],
                     where=RUNNING, unique=False)


def downgrade():
    for area in ('street', 'county'):
        op.drop_index(f'ix_tickets_{area}_due', table_name='tickets')
