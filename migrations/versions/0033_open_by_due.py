"""Open 整改 cases by due date, the city's open requests by deadline (issue 30).

/ratings/cases lists the open cases nearest their deadline. Of 256,000 cases at 5 M
requests 1,600 are open; the admin's list walked the due-date index through every closed
case to find them (0.36 s) and a county's read its 20,000 cases (84 ms). A partial index
of the open ones, by due date, answers both in about a millisecond (the query names the
live states, so any plan may use it).

The admin's queue (/work, /api/v1/queue) is every open request of the city, nearest
deadline first: it read and sorted all 40,000 open ones for a page of 30 (60-160 ms at 5 M);
ix_tickets_open_due gives them in that order (0.07 ms). Both built CONCURRENTLY
(core.migrating).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 13:45:00.000000
"""
from alembic import op

from community.core.migrating import create_index

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

LIVE = "state IN ('answered', 'called_back', 'open')"
OPEN_TICKETS = ("state IN ('accepted', 'escalated', 'in_progress', 'reopened', 'returned', "
                "'submitted')")


def upgrade():
    create_index(op, 'ix_rectification_cases_live_due', 'rectification_cases', ['close_due_at', 'id'],
                 where=LIVE)
    create_index(op, 'ix_tickets_open_due', 'tickets', ['next_due_at', 'submitted_at', 'id'],
                 where=OPEN_TICKETS)


def downgrade():
    op.drop_index('ix_tickets_open_due', table_name='tickets')
    op.drop_index('ix_rectification_cases_live_due', table_name='rectification_cases')
