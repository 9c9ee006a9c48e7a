"""extension_requests: partial index on the pending ones, read by every supervisor's queue page

Without it the queue page scans all extension requests ever made (about 5 %
of requests: 250,000 rows at 5 million), found by bench/ at city scale.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 21:35:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_extension_requests_pending', 'extension_requests', ['requested_at'],
                    unique=False, postgresql_where=sa.text("state = 'pending'"),
                    sqlite_where=sa.text("state = 'pending'"))


def downgrade():
    op.drop_index('ix_extension_requests_pending', table_name='extension_requests')
