"""surveys: 满意度调查全覆盖 (issue 29, section 1)

A county's survey (versioned questions, a period, a coverage threshold), its
responses (one per phone per survey; staff channels name the staff member; the
rated community's own staff are kept but not counted), and single-use links.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 05:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from community.core.dbtypes import UTCDateTime

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'surveys',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('county_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('min_responses', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('ends_on >= starts_on', name='period'),
        sa.CheckConstraint('min_responses > 0', name='min_responses'),
    )
    op.create_index('ix_surveys_county_id', 'surveys', ['county_id'])
    op.create_table(
        'survey_versions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('survey_id', sa.Integer(), sa.ForeignKey('surveys.id'), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(100), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('survey_id', 'number', name='uq_survey_versions_number'),
    )
    op.create_table(
        'survey_responses',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('survey_id', sa.Integer(), sa.ForeignKey('surveys.id'), nullable=False),
        sa.Column('version_id', sa.Integer(), sa.ForeignKey('survey_versions.id'), nullable=False),
        sa.Column('community_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('phone', sa.String(20), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('channel', sa.String(8), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('headline_level', sa.String(20), nullable=True),
        sa.Column('counted', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('survey_id', 'phone', name='uq_survey_responses_phone'),
        sa.CheckConstraint("channel IN ('web', 'link', 'visit', 'call')", name='channel'),
        sa.CheckConstraint("(channel IN ('visit', 'call')) = (recorded_by_id IS NOT NULL)",
                           name='recorded_by'),
    )
    op.create_index('ix_survey_responses_survey_community', 'survey_responses',
                    ['survey_id', 'community_id'])
    op.create_table(
        'survey_links',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('survey_id', sa.Integer(), sa.ForeignKey('surveys.id'), nullable=False),
        sa.Column('community_id', sa.Integer(), sa.ForeignKey('units.id'), nullable=False),
        sa.Column('phone', sa.String(20), nullable=False),
        sa.Column('secret_hash', sa.String(64), nullable=False, unique=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
    )
    op.create_index('ix_survey_links_survey_phone', 'survey_links', ['survey_id', 'phone'])


def downgrade():
    op.drop_index('ix_survey_links_survey_phone', table_name='survey_links')
    op.drop_table('survey_links')
    op.drop_index('ix_survey_responses_survey_community', table_name='survey_responses')
    op.drop_table('survey_responses')
    op.drop_table('survey_versions')
    op.drop_index('ix_surveys_county_id', table_name='surveys')
    op.drop_table('surveys')
