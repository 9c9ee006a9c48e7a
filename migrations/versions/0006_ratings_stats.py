"""好差评 and figures: resolutions, ratings, 整改 cases, appeals, daily rollups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 21:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import community.core.dbtypes
from community.core.migrating import commit, run_sliced


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

UTC = community.core.dbtypes.UTCDateTime
COUNTS = (
    "filed", "response_due", "responded_in_time", "arrived", "accepted_in_time", "returned",
    "resolved", "resolved_in_time", "reopened", "rated", "appeals_upheld",
    "very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied",
    "solved_yes", "solved_partly", "solved_no", "bad_rectified_in_time",
)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'],
                                   name=op.f(f'fk_{table}_{column}_{target}'))


def _counts():
    return [sa.Column(name, sa.Integer(), nullable=False, server_default='0') for name in COUNTS]


def upgrade():
    op.create_table('resolutions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('resolved_at', UTC(), nullable=False),
        sa.Column('due_at', UTC(), nullable=True),
        sa.Column('in_time', sa.Boolean(), nullable=False),
        sa.Column('reopened_at', UTC(), nullable=True),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('handler_id', sa.Integer(), nullable=True),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('street_id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        _fk('resolutions', 'ticket_id', 'tickets'),
        _fk('resolutions', 'unit_id', 'units'),
        _fk('resolutions', 'handler_id', 'users'),
        _fk('resolutions', 'category_id', 'categories'),
        _fk('resolutions', 'grid_id', 'units'),
        _fk('resolutions', 'community_id', 'units'),
        _fk('resolutions', 'street_id', 'units'),
        _fk('resolutions', 'county_id', 'units'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resolutions')),
    )
    with op.batch_alter_table('resolutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resolutions_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resolutions_resolved_at'), ['resolved_at'], unique=False)
        for column in ('grid', 'community', 'street', 'county', 'unit'):
            batch_op.create_index(f'ix_resolutions_{column}_at', [f'{column}_id', 'resolved_at'],
                                  unique=False)

    op.create_table('ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resolution_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('rated_at', UTC(), nullable=False),
        sa.Column('solved', sa.String(length=8), nullable=False),
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('rater_id', sa.Integer(), nullable=True),
        sa.Column('excluded', sa.Boolean(), nullable=False),
        sa.CheckConstraint("solved IN ('yes', 'partly', 'no')", name=op.f('ck_ratings_solved')),
        sa.CheckConstraint("level IN ('very_satisfied', 'satisfied', 'basic', 'dissatisfied', "
                           "'very_dissatisfied')", name=op.f('ck_ratings_level')),
        _fk('ratings', 'resolution_id', 'resolutions'),
        _fk('ratings', 'ticket_id', 'tickets'),
        _fk('ratings', 'rater_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
        sa.UniqueConstraint('resolution_id', name=op.f('uq_ratings_resolution_id')),
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('rectification_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rating_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('street_id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('opened_at', UTC(), nullable=False),
        sa.Column('start_due_at', UTC(), nullable=False),
        sa.Column('close_due_at', UTC(), nullable=False),
        sa.Column('callback_at', UTC(), nullable=True),
        sa.Column('callback_by_id', sa.Integer(), nullable=True),
        sa.Column('callback_reached', sa.Boolean(), nullable=True),
        sa.Column('callback_note', sa.Text(), nullable=False),
        sa.Column('outcome', sa.String(length=8), nullable=True),
        sa.Column('outcome_at', UTC(), nullable=True),
        sa.Column('outcome_by_id', sa.Integer(), nullable=True),
        sa.Column('outcome_note', sa.Text(), nullable=False),
        sa.Column('closed_at', UTC(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('review_note', sa.Text(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'called_back', 'answered', 'closed')",
                           name=op.f('ck_rectification_cases_state')),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('reopen', 'explain')",
                           name=op.f('ck_rectification_cases_outcome')),
        _fk('rectification_cases', 'rating_id', 'ratings'),
        _fk('rectification_cases', 'ticket_id', 'tickets'),
        _fk('rectification_cases', 'community_id', 'units'),
        _fk('rectification_cases', 'street_id', 'units'),
        _fk('rectification_cases', 'county_id', 'units'),
        _fk('rectification_cases', 'callback_by_id', 'users'),
        _fk('rectification_cases', 'outcome_by_id', 'users'),
        _fk('rectification_cases', 'closed_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_cases')),
        sa.UniqueConstraint('rating_id', name=op.f('uq_rectification_cases_rating_id')),
    )
    with op.batch_alter_table('rectification_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_cases_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_cases_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_cases_close_due_at'), ['close_due_at'],
                              unique=False)
        batch_op.create_index('ix_rectification_cases_street_state', ['street_id', 'state'], unique=False)
        batch_op.create_index('ix_rectification_cases_community_state', ['community_id', 'state'],
                              unique=False)

    op.create_table('appeals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rating_id', sa.Integer(), nullable=False),
        sa.Column('street_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('filed_at', UTC(), nullable=False),
        sa.Column('filed_by_id', sa.Integer(), nullable=False),
        sa.Column('decided_at', UTC(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'upheld', 'rejected')", name=op.f('ck_appeals_state')),
        _fk('appeals', 'rating_id', 'ratings'),
        _fk('appeals', 'street_id', 'units'),
        _fk('appeals', 'filed_by_id', 'users'),
        _fk('appeals', 'decided_by_id', 'users'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
        sa.UniqueConstraint('rating_id', name=op.f('uq_appeals_rating_id')),
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index('ix_appeals_street_state', ['street_id', 'state'], unique=False)

    op.create_table('stat_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('unit_kind', sa.String(length=16), nullable=False),
        sa.Column('updated_at', UTC(), nullable=False),
        *_counts(),
        _fk('stat_daily', 'unit_id', 'units'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_daily')),
        sa.UniqueConstraint('unit_id', 'day', name='uq_stat_daily_unit_day'),
    )
    with op.batch_alter_table('stat_daily', schema=None) as batch_op:
        batch_op.create_index('ix_stat_daily_kind_day', ['unit_kind', 'day'], unique=False)
        batch_op.create_index('ix_stat_daily_day', ['day'], unique=False)

    op.create_table('stat_category_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTC(), nullable=False),
        *_counts(),
        _fk('stat_category_daily', 'unit_id', 'units'),
        _fk('stat_category_daily', 'category_id', 'categories'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_category_daily')),
        sa.UniqueConstraint('unit_id', 'day', 'category_id', name='uq_stat_category_daily_unit_day_cat'),
    )
    with op.batch_alter_table('stat_category_daily', schema=None) as batch_op:
        batch_op.create_index('ix_stat_category_daily_day', ['day'], unique=False)

    # Requests resolved before this revision get their (current) resolution row,
    # so they can still be rated and are counted by `flask stats rollup`.
    # The new tables' foreign keys locked tickets against writes: commit, then copy in id
    # slices, each committed on its own (issue 30).
    commit(op)
    run_sliced(op, 'tickets',
        "INSERT INTO resolutions (ticket_id, resolved_at, due_at, in_time, reopened_at, unit_id, "
        "handler_id, category_id, grid_id, community_id, street_id, county_id) "
        "SELECT id, resolved_at, resolve_due_at, "
        "CASE WHEN resolve_due_at IS NULL OR resolved_at <= resolve_due_at THEN TRUE ELSE FALSE END, "
        "NULL, handling_unit_id, assignee_id, category_id, grid_id, community_id, street_id, county_id "
        "FROM tickets WHERE resolved_at IS NOT NULL AND id >= :low AND id < :high", '0006 resolutions')


def downgrade():
    for table in ('stat_category_daily', 'stat_daily', 'appeals', 'rectification_cases', 'ratings',
                  'resolutions'):
        op.drop_table(table)
