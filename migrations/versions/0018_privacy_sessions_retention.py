"""privacy (issue 21): session versions, deleted accounts, anonymised requests, the audit

- users.session_version: every session cookie carries the version it was signed in
  with; logout, a password change and "sign out everywhere" raise it, so every
  earlier cookie stops working. users.deleted_at: an account its owner deleted
  (its personal data gone, the row kept for the counts that point at it).
- users.failed_logins and locked_until go: sign-in failures are now counted in
  Redis per address and per login, whether an account exists or not (no lock that
  tells a registered number from an unregistered one, or that anyone can trigger).
- tickets.anonymised_at: when a request's personal data was removed (its owner
  deleted the account, or it closed more than the retention period ago), with a
  partial index of the closed requests not anonymised yet, which the retention job
  walks, and an index of the text messages by request (both built CONCURRENTLY on
  PostgreSQL: the tables stay writable while they are built).
- privacy_audit: one row per account deletion and per retention run, with the
  number of requests anonymised.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-07 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import community.core.dbtypes


revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None

PENDING = "anonymised_at IS NULL AND closed_at IS NOT NULL"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('deleted_at', community.core.dbtypes.UTCDateTime(), nullable=True))
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')
    # A nullable column without a default: no table rewrite on PostgreSQL, whatever its size.
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', community.core.dbtypes.UTCDateTime(), nullable=True))
    op.create_table(
        'privacy_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', community.core.dbtypes.UTCDateTime(), nullable=False),
        sa.Column('action', sa.String(length=24), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.CheckConstraint("action IN ('account_deleted', 'retention')",
                           name=op.f('ck_privacy_audit_action')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_privacy_audit_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_audit')),
    )
    op.create_index('ix_privacy_audit_at', 'privacy_audit', ['at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index('ix_tickets_retention', 'tickets', ['closed_at'], unique=False,
                            postgresql_where=sa.text(PENDING), postgresql_concurrently=True)
            op.create_index('ix_notifications_ticket', 'notifications', ['ticket_id'], unique=False,
                            postgresql_concurrently=True)
    else:
        op.create_index('ix_tickets_retention', 'tickets', ['closed_at'], unique=False,
                        sqlite_where=sa.text(PENDING))
        op.create_index('ix_notifications_ticket', 'notifications', ['ticket_id'], unique=False)


def downgrade():
    op.drop_index('ix_notifications_ticket', table_name='notifications')
    op.drop_index('ix_tickets_retention', table_name='tickets')
    op.drop_index('ix_privacy_audit_at', table_name='privacy_audit')
    op.drop_table('privacy_audit')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', community.core.dbtypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('session_version')
