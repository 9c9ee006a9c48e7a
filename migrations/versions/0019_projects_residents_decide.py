"""民生小实事 that residents decide: the street's versioned rules, verified residency,
signed meetings, hidden posts, a reversible ledger, judging results, 整改 cases, 对接

- project_rules: the street's rules, one row per version; the office's own
  community_project_settings go (they were set by the office its projects are judged
  by: communities fall back to the configured defaults until their street decides);
- residencies: where a resident lives, as verified by the office or a grid worker;
- projects: the rules fixed at deliberation, the judging result, hiding;
- project_posts: hiding; project_meetings: 反对 counted and the recorder's signature;
- project_spending: payee kind (existing payees that do not read as an organisation
  become persons, published as 张*), reversing entries with their reason;
- project_cases (整改, with a deadline) and need_links (三项清单 对接);
- notifications.project_id: project news link to the project. On PostgreSQL its
  foreign key is added NOT VALID and validated after its own commit, so the big table
  is not locked while it is checked (issue 30: the check ran in the transaction that
  added the column, under its lock).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import community.core.dbtypes
from community.core.migrating import add_foreign_key


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

UTC = community.core.dbtypes.UTCDateTime


def _in(column, values):
    return column + " IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def _ck(table, name, sql):
    return sa.CheckConstraint(sql, name=op.f(f'ck_{table}_{name}'))


# The words community.projects.payees reads as an organisation (kept here as they were).
ORG_WORDS = ("公司", "集团", "厂", "店", "商行", "经营部", "工作室", "事务所", "中心", "站", "社",
             "院", "所", "局", "委", "会", "部", "队", "组", "协会", "基金", "银行", "超市", "物业",
             "学校", "医院", "馆", "办", "处", "坊", "市场", "酒店", "餐厅", "食堂")


def upgrade():
    op.create_table('project_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('support_min', sa.Integer(), nullable=False),
    sa.Column('oppose_block_share', sa.Float(), nullable=False),
    sa.Column('quorum', sa.Integer(), nullable=False),
    sa.Column('judging_days', sa.Integer(), nullable=False),
    sa.Column('judging_turnout', sa.Integer(), nullable=False),
    sa.Column('satisfaction_line', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('set_at', UTC(), nullable=False),
    _ck('project_rules', 'counts', 'support_min >= 0 AND quorum >= 0 AND judging_turnout >= 0'),
    _ck('project_rules', 'oppose_share', 'oppose_block_share > 0 AND oppose_block_share <= 1'),
    _ck('project_rules', 'line', 'satisfaction_line >= 0 AND satisfaction_line <= 1'),
    _ck('project_rules', 'judging_days', 'judging_days >= 1'),
    _fk('project_rules', 'street_id', 'units'),
    _fk('project_rules', 'community_id', 'units'),
    _fk('project_rules', 'set_by_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_rules')),
    sa.UniqueConstraint('street_id', 'version', name='uq_project_rules_street_version'),
    )
    op.create_index('ix_project_rules_street_community', 'project_rules', ['street_id', 'community_id'])
    op.drop_table('community_project_settings')

    op.create_table('residencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('requested_at', UTC(), nullable=False),
    sa.Column('decided_at', UTC(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_unit_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.String(length=200), nullable=False),
    sa.Column('ended_at', UTC(), nullable=True),
    _ck('residencies', 'state', _in('state', ('pending', 'verified', 'refused', 'ended'))),
    _fk('residencies', 'user_id', 'users'),
    _fk('residencies', 'community_id', 'units'),
    _fk('residencies', 'decided_by_id', 'users'),
    _fk('residencies', 'decided_unit_id', 'units'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residencies')),
    )
    op.create_index('ix_residencies_user_state', 'residencies', ['user_id', 'state'])
    op.create_index('ix_residencies_community_state', 'residencies', ['community_id', 'state'])

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rules_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('judging_result', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', UTC(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_projects_rules_id_project_rules'), 'project_rules',
                                    ['rules_id'], ['id'])
        batch_op.create_foreign_key(op.f('fk_projects_hidden_by_id_users'), 'users',
                                    ['hidden_by_id'], ['id'])
        batch_op.create_check_constraint(
            op.f('ck_projects_judging_result'),
            "judging_result IS NULL OR " + _in('judging_result', ('satisfied', 'below_line', 'insufficient')))

    with op.batch_alter_table('project_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', UTC(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_project_posts_hidden_by_id_users'), 'users',
                                    ['hidden_by_id'], ['id'])

    with op.batch_alter_table('project_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opposers', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('signed_name', sa.String(length=64), nullable=False,
                                      server_default=''))
        batch_op.drop_constraint(op.f('ck_project_meetings_counts'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_project_meetings_counts'), 'attendees > 0 AND supporters >= 0 AND opposers >= 0 '
                      'AND supporters + opposers <= attendees')

    with op.batch_alter_table('project_spending', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payee_kind', sa.String(length=12), nullable=False,
                                      server_default='organisation'))
        batch_op.add_column(sa.Column('reverses_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(op.f('fk_project_spending_reverses_id_project_spending'),
                                    'project_spending', ['reverses_id'], ['id'])
        batch_op.create_unique_constraint(op.f('uq_project_spending_reverses_id'), ['reverses_id'])
        batch_op.drop_constraint(op.f('ck_project_spending_amount'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_project_spending_amount'), '(reverses_id IS NULL AND amount_fen > 0) OR '
                      '(reverses_id IS NOT NULL AND amount_fen < 0)')
        batch_op.create_check_constraint(op.f('ck_project_spending_payee_kind'),
                                         _in('payee_kind', ('organisation', 'person')))
    _persons_as_persons()

    op.create_table('project_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('satisfaction', sa.Float(), nullable=True),
    sa.Column('opened_at', UTC(), nullable=False),
    sa.Column('due_at', UTC(), nullable=False),
    sa.Column('overdue_at', UTC(), nullable=True),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('reported_at', UTC(), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('closed_at', UTC(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    _ck('project_cases', 'state', _in('state', ('open', 'reported', 'closed'))),
    _fk('project_cases', 'project_id', 'projects'),
    _fk('project_cases', 'reported_by_id', 'users'),
    _fk('project_cases', 'closed_by_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_cases')),
    sa.UniqueConstraint('project_id', name=op.f('uq_project_cases_project_id')),
    )
    op.create_index(op.f('ix_project_cases_due_at'), 'project_cases', ['due_at'])

    op.create_table('need_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC(), nullable=False),
    sa.Column('ended_at', UTC(), nullable=True),
    _fk('need_links', 'community_id', 'units'),
    _fk('need_links', 'category_id', 'categories'),
    _fk('need_links', 'resource_id', 'community_resources'),
    _fk('need_links', 'created_by_id', 'users'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_links')),
    )
    op.create_index('ix_need_links_community_category', 'need_links', ['community_id', 'category_id'])

    _notifications_project_id()


def _persons_as_persons():
    """Existing payees that do not read as an organisation are published as persons."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, payee FROM project_spending WHERE payee <> ''")).all()
    people = [row.id for row in rows
              if not any(word in row.payee for word in ORG_WORDS) and len(row.payee.strip()) <= 8]
    for start in range(0, len(people), 500):
        chunk = people[start:start + 500]
        bind.execute(sa.text("UPDATE project_spending SET payee_kind = 'person' WHERE id IN ("
                             + ", ".join(str(i) for i in chunk) + ")"))


def _notifications_project_id():
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('notifications', sa.Column('project_id', sa.Integer(), nullable=True))
        add_foreign_key(op, 'fk_notifications_project_id_projects', 'notifications', 'projects',
                        ['project_id'], ['id'])
        return
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_notifications_project_id_projects'), 'projects',
                                    ['project_id'], ['id'])


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_notifications_project_id_projects'), type_='foreignkey')
        batch_op.drop_column('project_id')
    op.drop_index('ix_need_links_community_category', table_name='need_links')
    op.drop_table('need_links')
    op.drop_index(op.f('ix_project_cases_due_at'), table_name='project_cases')
    op.drop_table('project_cases')
    op.execute("DELETE FROM project_spending WHERE reverses_id IS NOT NULL")
    with op.batch_alter_table('project_spending', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_project_spending_payee_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_project_spending_amount'), type_='check')
        batch_op.create_check_constraint(op.f('ck_project_spending_amount'), 'amount_fen > 0')
        batch_op.drop_constraint(op.f('uq_project_spending_reverses_id'), type_='unique')
        batch_op.drop_constraint(op.f('fk_project_spending_reverses_id_project_spending'),
                                 type_='foreignkey')
        batch_op.drop_column('reason')
        batch_op.drop_column('reverses_id')
        batch_op.drop_column('payee_kind')
    with op.batch_alter_table('project_meetings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_project_meetings_counts'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_project_meetings_counts'),
            'attendees > 0 AND supporters >= 0 AND supporters <= attendees')
        batch_op.drop_column('signed_name')
        batch_op.drop_column('opposers')
    with op.batch_alter_table('project_posts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_project_posts_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_projects_judging_result'), type_='check')
        batch_op.drop_constraint(op.f('fk_projects_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_projects_rules_id_project_rules'), type_='foreignkey')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('judging_result')
        batch_op.drop_column('rules_id')
    op.drop_index('ix_residencies_community_state', table_name='residencies')
    op.drop_index('ix_residencies_user_state', table_name='residencies')
    op.drop_table('residencies')
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
    op.drop_table('project_rules')
