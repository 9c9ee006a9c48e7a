"""Open 整改 cases by due date (issue 30).

/ratings/cases lists the open cases nearest their deadline. Of 256,000 cases at 5 M
requests 1,600 are open; the admin's list walked the due-date index through every closed
case to find them (0.36 s) and a county's read its 20,000 cases (84 ms). A partial index
of the open ones, by due date, answers both in about a millisecond (the query names the
live states, so any plan may use it). Built CONCURRENTLY (core.migrating).

Revision ID: 0033_ratings
Revises: 0032
Create Date: 2026-12-07 13:45:00.000000
"""
from alembic import op

from community.core.migrating import create_index

revision = '0033_ratings'
down_revision = '0032'
branch_labels = None
depends_on = None

LIVE = "state IN ('answered', 'called_back', 'open')"


def upgrade():
    create_index(op, 'ix_rectification_cases_live_due', 'rectification_cases', ['close_due_at', 'id'],
                 where=LIVE)


def downgrade():
    op.drop_index('ix_rectification_cases_live_due', table_name='rectification_cases')
