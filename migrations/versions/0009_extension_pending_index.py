"""extension_requests: partial index on the pending ones, read by every supervisor's queue page

Without it the queue page scans all extension requests ever made (about 5 %
of requests: 250,000 rows at 5 million), found by bench/ at city scale.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 21:35:00.000000
"""
from alembic import op

from community.core.migrating import create_index


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # CONCURRENTLY on PostgreSQL (issue 30).
    create_index(op, 'ix_extension_requests_pending', 'extension_requests', ['requested_at'],
                 where="state = 'pending'", unique=False)


def downgrade():
    op.drop_index('ix_extension_requests_pending', table_name='extension_requests')
