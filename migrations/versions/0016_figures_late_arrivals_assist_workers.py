"""figures F2026.2: late is late, acceptance per arrival, assist tasks scored, workers

- tickets.resolve_breached_at: the first resolution deadline of a round that passed
  unmet, so an escalation's later deadline no longer makes the resolution on time;
  open requests get it from their recorded resolve breaches.
- resolutions.in_time: false where a resolve breach was recorded before the
  resolution in the same round (history counted late, as F2026.2 counts it).
- ticket_arrivals: earlier stays of a request at a unit, with their acceptance clocks.
- tickets: partial indexes on the four clock ends (first_response_at, response_due_at,
  accepted_at, accept_due_at): the rollup reads the clocks that ended on a day.
- assist_tasks: the summoning unit, the 报到 deadline (created + 24 h for existing
  rows), the summoning unit's 1–5 score.
- stat_daily, stat_category_daily: the new counts; stat_worker_daily.

Large tables: the indexes on tickets are built CONCURRENTLY on PostgreSQL, and the
backfills run in id slices, each committed on its own (no long lock), after the DDL's
own commit; the indexes on assist_tasks are built CONCURRENTLY too (issue 30).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 23:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

import community.core.dbtypes
from community.core.migrating import add_check, add_foreign_key, commit, create_index, run_sliced


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

CLOCK_ENDS = ('first_response_at', 'response_due_at', 'accepted_at', 'accept_due_at')
NEW_COUNTS = ('appealed', 'assist_report_due', 'assist_reported_in_time', 'assist_finish_due',
              'assist_finished_in_time', 'assist_scored', 'assist_score_total')
SCORE = 'score IS NULL OR score BETWEEN 1 AND 5'
ASSIST_INDEXED = ('report_due_at', 'accepted_at', 'done_at', 'scored_at')
OPEN_STATES = "('submitted', 'accepted', 'in_progress', 'escalated', 'returned', 'reopened')"

# A resolution is late when a resolve breach was recorded on its request after the
# previous resolution (its round) and before it.
LATE_RESOLUTIONS = """
UPDATE resolutions SET in_time = :late
WHERE id >= :low AND id < :high AND in_time = :on_time AND EXISTS (
  SELECT 1 FROM ticket_events e
  WHERE e.ticket_id = resolutions.ticket_id AND e.action = 'sla_breach' AND e.note = 'resolve'
    AND e.at <= resolutions.resolved_at
    AND NOT EXISTS (SELECT 1 FROM resolutions p WHERE p.ticket_id = resolutions.ticket_id
                    AND p.resolved_at < resolutions.resolved_at AND p.resolved_at >= e.at))
"""
# An open request breached in this round (since its last resolution).
OPEN_BREACHES = f"""
UPDATE tickets SET resolve_breached_at = (
  SELECT min(e.at) FROM ticket_events e
  WHERE e.ticket_id = tickets.id AND e.action = 'sla_breach' AND e.note = 'resolve'
    AND e.at > COALESCE((SELECT max(r.resolved_at) FROM resolutions r WHERE r.ticket_id = tickets.id),
                        tickets.submitted_at))
WHERE id >= :low AND id < :high AND state IN {OPEN_STATES}
"""


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.add_column('tickets', sa.Column('resolve_breached_at', community.core.dbtypes.UTCDateTime(), nullable=True))
    op.create_table(
        'ticket_arrivals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('arrived_at', community.core.dbtypes.UTCDateTime(), nullable=False),
        sa.Column('due_at', community.core.dbtypes.UTCDateTime(), nullable=True),
        sa.Column('accepted_at', community.core.dbtypes.UTCDateTime(), nullable=True),
        sa.Column('left_at', community.core.dbtypes.UTCDateTime(), nullable=False),
        sa.Column('left_by', sa.String(length=24), nullable=False),
        sa.Column('settles_at', community.core.dbtypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name='fk_ticket_arrivals_ticket_id_tickets'),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name='fk_ticket_arrivals_unit_id_units'),
        sa.PrimaryKeyConstraint('id', name='pk_ticket_arrivals'),
    )
    op.create_index('ix_ticket_arrivals_ticket_id', 'ticket_arrivals', ['ticket_id'], unique=False)
    op.create_index('ix_ticket_arrivals_settles_at', 'ticket_arrivals', ['settles_at'], unique=False)

    with op.batch_alter_table('assist_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('report_due_at', community.core.dbtypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('score_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scored_at', community.core.dbtypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('scored_by_id', sa.Integer(), nullable=True))
        if not postgres:  # SQLite: in the same copy of the table
            batch_op.create_foreign_key('fk_assist_tasks_unit_id_units', 'units', ['unit_id'], ['id'])
            batch_op.create_foreign_key('fk_assist_tasks_scored_by_id_users', 'users',
                                        ['scored_by_id'], ['id'])
            batch_op.create_check_constraint('score', SCORE)
    if postgres:  # NOT VALID, validated after a commit: assist_tasks stay writable
        add_foreign_key(op, 'fk_assist_tasks_unit_id_units', 'assist_tasks', 'units', ['unit_id'], ['id'])
        add_foreign_key(op, 'fk_assist_tasks_scored_by_id_users', 'assist_tasks', 'users',
                        ['scored_by_id'], ['id'])
        add_check(op, 'ck_assist_tasks_score', 'assist_tasks', SCORE)
    for table in ('stat_daily', 'stat_category_daily'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in NEW_COUNTS:
                batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'stat_worker_daily',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', community.core.dbtypes.UTCDateTime(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False, server_default='0') for name in _counts()],
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name='fk_stat_worker_daily_unit_id_units'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_stat_worker_daily_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_stat_worker_daily'),
        sa.UniqueConstraint('unit_id', 'user_id', 'day', name='uq_stat_worker_daily_unit_user_day'),
    )
    op.create_index('ix_stat_worker_daily_day', 'stat_worker_daily', ['day'], unique=False)
    commit(op)  # the locks of the DDL above (tickets, assist_tasks, users…) go before the fills

    run_sliced(op, 'assist_tasks', "UPDATE assist_tasks SET unit_id = (SELECT unit_id FROM users "
               "WHERE users.id = assist_tasks.requested_by_id) WHERE id >= :low AND id < :high",
               '0016 assist_tasks')
    if postgres:
        run_sliced(op, 'assist_tasks', "UPDATE assist_tasks SET report_due_at = created_at + "
                   "interval '24 hours' WHERE id >= :low AND id < :high", '0016 assist_tasks')
    else:
        # SQLAlchemy's own text form, microseconds kept: 'YYYY-MM-DD HH:MM:SS.ffffff'.
        op.execute("UPDATE assist_tasks SET report_due_at = "
                   "strftime('%Y-%m-%d %H:%M:%S', created_at, '+24 hours') || substr(created_at, 20)")
    for column in ASSIST_INDEXED:
        create_index(op, f'ix_assist_tasks_{column}', 'assist_tasks', [column], unique=False)
    run_sliced(op, 'resolutions', LATE_RESOLUTIONS, '0016 resolutions', late=False, on_time=True)
    run_sliced(op, 'tickets', OPEN_BREACHES, '0016 tickets')
    for column in CLOCK_ENDS:
        create_index(op, f'ix_tickets_{column}', 'tickets', [column], where=f'{column} IS NOT NULL',
                     unique=False)


def _counts():
    """The count columns as 0016 made them (the list in community.stats.models may grow later)."""
    return ('filed', 'response_due', 'responded_in_time', 'arrived', 'accepted_in_time', 'returned',
            'resolved', 'resolved_in_time', 'reopened', 'rated', 'appeals_upheld', 'appealed',
            'very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied',
            'solved_yes', 'solved_partly', 'solved_no', 'bad_rectified_in_time',
            'assist_report_due', 'assist_reported_in_time', 'assist_finish_due',
            'assist_finished_in_time', 'assist_scored', 'assist_score_total')


def downgrade():
    for column in CLOCK_ENDS:
        op.drop_index(f'ix_tickets_{column}', table_name='tickets')
    op.drop_index('ix_stat_worker_daily_day', table_name='stat_worker_daily')
    op.drop_table('stat_worker_daily')
    for table in ('stat_daily', 'stat_category_daily'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in NEW_COUNTS:
                batch_op.drop_column(name)
    for column in ASSIST_INDEXED:
        op.drop_index(f'ix_assist_tasks_{column}', table_name='assist_tasks')
    with op.batch_alter_table('assist_tasks', schema=None) as batch_op:
        batch_op.drop_constraint('score', type_='check')
        batch_op.drop_constraint('fk_assist_tasks_scored_by_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_assist_tasks_unit_id_units', type_='foreignkey')
        for name in ('scored_by_id', 'scored_at', 'score_note', 'score', 'report_due_at', 'unit_id'):
            batch_op.drop_column(name)
    op.drop_index('ix_ticket_arrivals_settles_at', table_name='ticket_arrivals')
    op.drop_index('ix_ticket_arrivals_ticket_id', table_name='ticket_arrivals')
    op.drop_table('ticket_arrivals')
    op.drop_column('tickets', 'resolve_breached_at')
