"""民生小实事 projects, online deliberation, ratings and the 三项清单 resources

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 20:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import community.core.dbtypes


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

UTC = community.core.dbtypes.UTCDateTime


def _in(column, values):
    return column + " IN (" + ", ".join(f"'{v}'" for v in values) + ")"


STATES = ('proposed', 'deliberating', 'approved', 'in_progress', 'completed', 'evaluated', 'rejected')
SOURCES = ('resident', 'staff', 'ticket')
FUNDING = ('county', 'street', 'community', 'property', 'donation', 'residents', 'other')
PARTNERS = ('community', 'street', 'county', 'department', 'property', 'social_org', 'other')
LEVELS = ('very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied')


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def _pk(table):
    return sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}'))


def _ck(table, name, sql):
    return sa.CheckConstraint(sql, name=op.f(f'ck_{table}_{name}'))


def upgrade():
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('lead_unit_id', sa.Integer(), nullable=True),
    sa.Column('approved_budget_fen', sa.BigInteger(), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.Column('approved_at', UTC(), nullable=True),
    sa.Column('completed_at', UTC(), nullable=True),
    sa.Column('updated_at', UTC(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    _ck('projects', 'state', _in('state', STATES)),
    _ck('projects', 'source', _in('source', SOURCES)),
    _ck('projects', 'level', 'level BETWEEN 1 AND 3'),
    _ck('projects', 'budget', 'approved_budget_fen IS NULL OR approved_budget_fen >= 0'),
    _fk('projects', 'category_id', 'categories'),
    _fk('projects', 'community_id', 'units'),
    _fk('projects', 'street_id', 'units'),
    _fk('projects', 'county_id', 'units'),
    _fk('projects', 'proposer_id', 'users'),
    _fk('projects', 'lead_unit_id', 'units'),
    _pk('projects'),
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index('ix_projects_community_state', ['community_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_created_at'), ['created_at'], unique=False)

    op.create_table('project_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('at', UTC(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    _fk('project_events', 'project_id', 'projects'),
    _fk('project_events', 'actor_id', 'users'),
    _pk('project_events'),
    )
    with op.batch_alter_table('project_events', schema=None) as batch_op:
        batch_op.create_index('ix_project_events_project_at', ['project_id', 'at'], unique=False)

    op.create_table('project_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    _fk('project_tickets', 'project_id', 'projects'),
    _fk('project_tickets', 'ticket_id', 'tickets'),
    _pk('project_tickets'),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_project_tickets_ticket_id')),
    )
    with op.batch_alter_table('project_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_tickets_project_id'), ['project_id'], unique=False)

    op.create_table('project_partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('duty', sa.String(length=200), nullable=False),
    _ck('project_partners', 'kind', _in('kind', PARTNERS)),
    _ck('project_partners', 'named', 'unit_id IS NOT NULL OR length(name) > 0'),
    _fk('project_partners', 'project_id', 'projects'),
    _fk('project_partners', 'unit_id', 'units'),
    _pk('project_partners'),
    )
    with op.batch_alter_table('project_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_partners_project_id'), ['project_id'], unique=False)

    op.create_table('project_funding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    _ck('project_funding', 'source', _in('source', FUNDING)),
    _ck('project_funding', 'amount', 'amount_fen > 0'),
    _fk('project_funding', 'project_id', 'projects'),
    _pk('project_funding'),
    )
    with op.batch_alter_table('project_funding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_funding_project_id'), ['project_id'], unique=False)

    op.create_table('project_budget_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('extra_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=False),
    sa.Column('approving_unit_id', sa.Integer(), nullable=False),
    sa.Column('at', UTC(), nullable=False),
    _ck('project_budget_approvals', 'extra', 'extra_fen > 0'),
    _fk('project_budget_approvals', 'project_id', 'projects'),
    _fk('project_budget_approvals', 'approved_by_id', 'users'),
    _fk('project_budget_approvals', 'approving_unit_id', 'units'),
    _pk('project_budget_approvals'),
    )
    with op.batch_alter_table('project_budget_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_budget_approvals_project_id'), ['project_id'],
                              unique=False)

    op.create_table('project_spending',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('payee', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    _ck('project_spending', 'amount', 'amount_fen > 0'),
    _ck('project_spending', 'source', _in('source', FUNDING)),
    _fk('project_spending', 'project_id', 'projects'),
    _fk('project_spending', 'recorded_by_id', 'users'),
    _pk('project_spending'),
    )
    with op.batch_alter_table('project_spending', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_spending_project_id'), ['project_id'], unique=False)

    op.create_table('project_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    _fk('project_milestones', 'project_id', 'projects'),
    _pk('project_milestones'),
    )
    with op.batch_alter_table('project_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_milestones_project_id'), ['project_id'], unique=False)

    op.create_table('project_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    _fk('project_posts', 'project_id', 'projects'),
    _fk('project_posts', 'author_id', 'users'),
    _pk('project_posts'),
    )
    with op.batch_alter_table('project_posts', schema=None) as batch_op:
        batch_op.create_index('ix_project_posts_project_at', ['project_id', 'created_at'], unique=False)

    op.create_table('project_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=8), nullable=False),
    sa.Column('at', UTC(), nullable=False),
    _ck('project_votes', 'choice', _in('choice', ('support', 'oppose'))),
    _fk('project_votes', 'project_id', 'projects'),
    _fk('project_votes', 'user_id', 'users'),
    _pk('project_votes'),
    sa.UniqueConstraint('project_id', 'user_id', name='uq_project_votes_project_user'),
    )

    op.create_table('project_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('supporters', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('minutes_name', sa.String(length=80), nullable=True),
    sa.Column('minutes_type', sa.String(length=32), nullable=True),
    sa.Column('minutes_size', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    _ck('project_meetings', 'decision', _in('decision', ('agreed', 'not_agreed', 'deferred'))),
    _ck('project_meetings', 'counts',
        'attendees > 0 AND supporters >= 0 AND supporters <= attendees'),
    _fk('project_meetings', 'project_id', 'projects'),
    _fk('project_meetings', 'recorded_by_id', 'users'),
    _pk('project_meetings'),
    sa.UniqueConstraint('minutes_name', name=op.f('uq_project_meetings_minutes_name')),
    )
    with op.batch_alter_table('project_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_meetings_project_id'), ['project_id'], unique=False)

    op.create_table('project_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('satisfaction', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('at', UTC(), nullable=False),
    _ck('project_ratings', 'satisfaction', _in('satisfaction', LEVELS)),
    _fk('project_ratings', 'project_id', 'projects'),
    _fk('project_ratings', 'user_id', 'users'),
    _pk('project_ratings'),
    sa.UniqueConstraint('project_id', 'user_id', name='uq_project_ratings_project_user'),
    )

    op.create_table('community_project_settings',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('support_min', sa.Integer(), nullable=False),
    sa.Column('meeting_share', sa.Float(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTC(), nullable=False),
    _ck('community_project_settings', 'support_min', 'support_min >= 0'),
    _ck('community_project_settings', 'meeting_share', 'meeting_share > 0 AND meeting_share <= 1'),
    _fk('community_project_settings', 'community_id', 'units'),
    _fk('community_project_settings', 'updated_by_id', 'users'),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_community_project_settings')),
    )

    op.create_table('community_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('hours', sa.String(length=100), nullable=False),
    sa.Column('skills', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('categories', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.Column('updated_at', UTC(), nullable=False),
    _ck('community_resources', 'kind', _in('kind', ('facility', 'social_org', 'volunteer', 'staff'))),
    _fk('community_resources', 'community_id', 'units'),
    _pk('community_resources'),
    )
    with op.batch_alter_table('community_resources', schema=None) as batch_op:
        batch_op.create_index('ix_community_resources_community_kind', ['community_id', 'kind'],
                              unique=False)


def downgrade():
    for table in ('community_resources', 'community_project_settings', 'project_ratings',
                  'project_meetings', 'project_votes', 'project_posts', 'project_milestones',
                  'project_spending', 'project_budget_approvals', 'project_funding',
                  'project_partners', 'project_tickets', 'project_events', 'projects'):
        op.drop_table(table)
