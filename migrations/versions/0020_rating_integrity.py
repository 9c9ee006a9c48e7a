"""好差评 integrity: only the resident rates, appeals judged from above

- users.role: the county supervisor (考核办), `supervisor`;
- ratings: how the rating came (channel: web, api, link, callback), the 回访 officer
  who recorded it (recorded_by_id), the text of a 差评's "其他" reason;
- rating_reasons: one row per reason of a 差评;
- appeals.judge: which tier decides (street, county, supervisor). Existing appeals get
  the tier above the unit that filed them: a street's own → county, a county unit's or
  a department's → supervisor, else street;
- resident_links: the single-use links texted for requests filed without an account.

On PostgreSQL the new checks and foreign key are added NOT VALID and validated after their
own commit, and the ratings' channel is filled in committed id slices (issue 30: users and
ratings were locked against writes while they were checked and filled).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 02:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import community.core.dbtypes
from community.core.migrating import add_check, add_foreign_key, commit, postgres, run_sliced


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

UTC = community.core.dbtypes.UTCDateTime
OLD_ROLES = ('resident', 'grid', 'community', 'street', 'county', 'department', 'admin')
NEW_ROLES = ('resident', 'grid', 'community', 'street', 'county', 'department', 'supervisor', 'admin')


def _in(column, values):
    return column + " IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    add_check(op, 'ck_users_role', 'users', _in('role', NEW_ROLES), replaces='ck_users_role')

    channels = _in('channel', ('web', 'api', 'link', 'callback'))
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), nullable=False, server_default='web'))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('other_reason', sa.Text(), nullable=False, server_default=''))
        if not postgres(op):  # SQLite: in the same copy of the table
            batch_op.create_foreign_key(op.f('fk_ratings_recorded_by_id_users'), 'users',
                                        ['recorded_by_id'], ['id'])
            batch_op.create_check_constraint(op.f('ck_ratings_channel'), channels)
    if postgres(op):
        add_foreign_key(op, 'fk_ratings_recorded_by_id_users', 'ratings', 'users', ['recorded_by_id'], ['id'])
        add_check(op, 'ck_ratings_channel', 'ratings', channels)
    # Ratings without an account behind them came through the tracking page.
    run_sliced(op, 'ratings', "UPDATE ratings SET channel = 'link' WHERE rater_id IS NULL "
               "AND id >= :low AND id < :high", '0020 ratings')

    op.create_table('rating_reasons',
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.CheckConstraint(_in('reason', ('not_solved', 'too_slow', 'attitude', 'buck_passing',
                                      'not_contacted', 'other')), name=op.f('ck_rating_reasons_reason')),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], name=op.f('fk_rating_reasons_rating_id_ratings')),
    sa.PrimaryKeyConstraint('rating_id', 'reason', name=op.f('pk_rating_reasons')),
    )

    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('judge', sa.String(length=16), nullable=False, server_default='street'))
        batch_op.create_check_constraint(op.f('ck_appeals_judge'),
                                         _in('judge', ('street', 'county', 'supervisor')))
    commit(op)  # rating_reasons' key locked ratings, the ALTER appeals: both go before users are read
    op.execute("UPDATE appeals SET judge = 'county' WHERE filed_by_id IN "
               "(SELECT id FROM users WHERE role = 'street')")
    op.execute("UPDATE appeals SET judge = 'supervisor' WHERE filed_by_id IN "
               "(SELECT id FROM users WHERE role IN ('county', 'department'))")

    op.create_table('resident_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('resolution_id', sa.Integer(), nullable=True),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.Column('expires_at', UTC(), nullable=True),
    sa.Column('used_at', UTC(), nullable=True),
    sa.Column('used_for', sa.String(length=8), nullable=True),
    sa.Column('revoked_at', UTC(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_resident_links_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['resolution_id'], ['resolutions.id'],
                            name=op.f('fk_resident_links_resolution_id_resolutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_links')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_resident_links_secret_hash')),
    )
    op.create_index('ix_resident_links_ticket', 'resident_links', ['ticket_id', 'created_at'])


def downgrade():
    op.drop_index('ix_resident_links_ticket', table_name='resident_links')
    op.drop_table('resident_links')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_appeals_judge'), type_='check')
        batch_op.drop_column('judge')
    op.drop_table('rating_reasons')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ratings_channel'), type_='check')
        batch_op.drop_constraint(op.f('fk_ratings_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('other_reason')
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('channel')
    op.execute("DELETE FROM users WHERE role = 'supervisor'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), _in('role', OLD_ROLES))
