"""Hotspots, proactive tasks (主动治理) and monthly topics (每月一题)

The daily hotspot job (community.hotspots.detect) writes hotspots and their requests;
units open a proactive task from a hotspot; the county picks a monthly topic with lead
units, progress notes and linked 民生小实事 projects. The job reads the 整改 cases
closed in its window through a new partial index on rectification_cases.closed_at;
the requests of the window through the existing ix_tickets_submitted_at.

Revision ID: 0027
Revises: 0025
Create Date: 2026-12-07 05:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from community.core.dbtypes import UTCDateTime
from community.core.migrating import create_index

revision = '0027'
down_revision = '0025'
branch_labels = None
depends_on = None


def _check(name, column, values):
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=op.f(name))


def upgrade():
    # CONCURRENTLY on PostgreSQL (issue 30).
    create_index(op, 'ix_rectification_cases_closed_at', 'rectification_cases', ['closed_at'],
                 where='closed_at IS NOT NULL')
    op.create_table(
        'hotspots',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('category_id', sa.Integer(), sa.ForeignKey('categories.id'), nullable=False),
        sa.Column('grid_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('community_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('street_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('county_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('place_name', sa.String(100), nullable=False),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('rectification_cases.id'), nullable=True),
        sa.Column('centre_lat', sa.Double(), nullable=True),
        sa.Column('centre_long', sa.Double(), nullable=True),
        sa.Column('ticket_count', sa.Integer(), nullable=False),
        sa.Column('first_at', UTCDateTime(), nullable=False),
        sa.Column('last_at', UTCDateTime(), nullable=False),
        sa.Column('found_at', UTCDateTime(), nullable=False),
        sa.Column('seen_at', UTCDateTime(), nullable=False),
        _check('ck_hotspots_kind', 'kind', ('place', 'distance', 'repeat')),
        _check('ck_hotspots_state', 'state', ('open', 'tasked', 'done', 'lapsed')),
    )
    for column in ('community_id', 'street_id', 'county_id'):
        op.create_index(f'ix_hotspots_{column[:-3]}_state', 'hotspots', [column, 'state'])
    op.create_index('ix_hotspots_found_at', 'hotspots', ['found_at'])
    op.create_index('ix_hotspots_case_id', 'hotspots', ['case_id'])
    op.create_table(
        'hotspot_tickets',
        sa.Column('hotspot_id', sa.Integer(), sa.ForeignKey('hotspots.id'), primary_key=True),
        sa.Column('ticket_id', sa.Integer(), sa.ForeignKey('tickets.id'), primary_key=True),
        sa.Column('added_at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_hotspot_tickets_ticket_id', 'hotspot_tickets', ['ticket_id'])
    op.create_table(
        'proactive_tasks',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('hotspot_id', sa.Integer(), sa.ForeignKey('hotspots.id'), nullable=False, unique=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('community_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('street_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('county_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('opened_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('owner_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('plan', sa.Text(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('opened_at', UTCDateTime(), nullable=False),
        sa.Column('done_at', UTCDateTime(), nullable=True),
        sa.Column('done_on_time', sa.Boolean(), nullable=True),
        sa.Column('done_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('result', sa.Text(), nullable=False),
        sa.Column('told', sa.Integer(), nullable=False),
        _check('ck_proactive_tasks_state', 'state', ('open', 'done')),
    )
    op.create_index('ix_proactive_tasks_county_opened', 'proactive_tasks', ['county_id', 'opened_at'])
    op.create_index('ix_proactive_tasks_done_at', 'proactive_tasks', ['done_at'])
    op.create_index('ix_proactive_tasks_owner_id', 'proactive_tasks', ['owner_id'])
    op.create_table(
        'monthly_topics',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('county_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('title', sa.String(100), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('category_id', sa.Integer(), sa.ForeignKey('categories.id'), nullable=True),
        sa.Column('hotspot_id', sa.Integer(), sa.ForeignKey('hotspots.id'), nullable=True),
        sa.Column('proposed_count', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('result', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('done_at', UTCDateTime(), nullable=True),
        sa.Column('done_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        _check('ck_monthly_topics_state', 'state', ('open', 'done')),
        sa.UniqueConstraint('county_id', 'month', name='uq_monthly_topics_county_month'),
    )
    op.create_index('ix_monthly_topics_done_at', 'monthly_topics', ['done_at'])
    op.create_table(
        'topic_units',
        sa.Column('topic_id', sa.Integer(), sa.ForeignKey('monthly_topics.id'), primary_key=True),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), primary_key=True),
    )
    op.create_table(
        'topic_updates',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('topic_id', sa.Integer(), sa.ForeignKey('monthly_topics.id'), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=True),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
    )
    op.create_index('ix_topic_updates_topic_id', 'topic_updates', ['topic_id'])
    op.create_table(
        'topic_projects',
        sa.Column('topic_id', sa.Integer(), sa.ForeignKey('monthly_topics.id'), primary_key=True),
        sa.Column('project_id', sa.Integer(), sa.ForeignKey('projects.id'), primary_key=True),
        sa.Column('linked_at', UTCDateTime(), nullable=False),
        sa.Column('linked_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
    )
    op.create_index('ix_topic_projects_project_id', 'topic_projects', ['project_id'])


def downgrade():
    for table in ('topic_projects', 'topic_updates', 'topic_units', 'monthly_topics',
                  'proactive_tasks', 'hotspot_tickets', 'hotspots'):
        op.drop_table(table)
    op.drop_index('ix_rectification_cases_closed_at', table_name='rectification_cases')
