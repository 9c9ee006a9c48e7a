"""calendar as data: years and their days, provisional deadlines, working days on the clock

The working-day calendar was chinese-calendar's data plus the admin's overrides,
with a year the package did not know silently counted Monday to Friday. Years are
now rows (calendar_years: where each came from; calendar_days: its holidays and
adjusted working days), seeded here with every year the package knows. A request's
resolution clock keeps the number of working days it counts (so a year loaded
later can recompute it), and every working-day deadline says whether it counted
a day of a year nobody loaded (provisional).

Open clocks are filled in from what they were: the number of working days is the
one that reproduces the stored deadline on the calendar it was computed with (a
clock in hours reproduces none and keeps NULL). New columns are added with a
constant default (no table rewrite on PostgreSQL 11+); the fill reads and writes
only open rows, in batches, each committed on its own on PostgreSQL after the columns'
own commit (issue 30: tickets were locked against writes for the whole fill).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 23:30:00.000000
"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

from community.core.migrating import commit

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

WORKING_STATES = ('accepted', 'in_progress', 'reopened')
BATCH = 2000


def upgrade():
    op.create_table(
        'calendar_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.Column('loaded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("source IN ('chinese-calendar', 'import', 'manual')",
                           name=op.f('ck_calendar_years_source')),
        sa.ForeignKeyConstraint(['loaded_by_id'], ['users.id'],
                                name=op.f('fk_calendar_years_loaded_by_id_users')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years')))
    op.create_table(
        'calendar_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('working', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['year'], ['calendar_years.year'], ondelete='CASCADE',
                                name=op.f('fk_calendar_days_year_calendar_years')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_days')),
        sa.UniqueConstraint('year', 'day', name='uq_calendar_days_year_day'))
    for table, column in (('tickets', 'resolve_due_provisional'),
                          ('rectification_cases', 'due_provisional'),
                          ('assist_tasks', 'due_provisional')):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    with op.batch_alter_table('tickets') as batch_op:
        batch_op.add_column(sa.Column('resolve_working_days', sa.Integer(), nullable=True))
    _seed_years()
    commit(op)
    _fill_open_clocks()


def _seed_years():
    from community.clock import package_years

    years = sa.table('calendar_years', sa.column('year'), sa.column('source'), sa.column('title'),
                     sa.column('text'), sa.column('loaded_at', sa.DateTime()))
    days = sa.table('calendar_days', sa.column('year'), sa.column('day', sa.Date()),
                    sa.column('working', sa.Boolean()), sa.column('name'))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    title = package_years.TITLE.format(version=package_years.version())
    known = package_years.known_years()
    op.bulk_insert(years, [{'year': y, 'source': 'chinese-calendar', 'title': title, 'text': '',
                            'loaded_at': now} for y in known])
    op.bulk_insert(days, [{'year': y, 'day': day, 'working': working, 'name': name}
                          for y in known for day, working, name in package_years.days_of(y)])


def _calendar(conn):
    """The calendar the stored deadlines were computed with: the package and the overrides."""
    from community.clock.calendar import WorkCalendar
    from community.clock.package_years import package_calendar

    package = package_calendar()
    overrides = dict(conn.execute(sa.text('SELECT day, working FROM sla_calendar_overrides')).all())
    return WorkCalendar(exceptions=package.exceptions, covered=package.covered,
                        overrides={_as_date(d): bool(w) for d, w in overrides.items()})


def _as_date(value):
    return value if not isinstance(value, str) else datetime.strptime(value[:10], '%Y-%m-%d').date()


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _fill_open_clocks():
    from community.clock.calendar import working_deadline

    conn = op.get_bind()
    calendar = _calendar(conn)
    states = ', '.join(f"'{s}'" for s in WORKING_STATES)
    rows = conn.execute(sa.text(
        'SELECT id, coalesce(resolve_started_at, accepted_at), resolve_due_at FROM tickets '
        f'WHERE state IN ({states}) AND resolve_due_at IS NOT NULL')).all()
    filled = []
    for ticket_id, start, due in rows:
        if start is None:
            continue
        start, due = _aware(start), _aware(due)
        days = _days_between(calendar, start, due)
        if days:
            deadline = working_deadline(start, days, calendar)
            if deadline.at == due:
                filled.append({'i': ticket_id, 'n': days, 'p': deadline.provisional})
    update = sa.text('UPDATE tickets SET resolve_working_days = :n, resolve_due_provisional = :p '
                     'WHERE id = :i')
    for first in range(0, len(filled), BATCH):
        op.get_bind().execute(update, filled[first:first + BATCH])
        commit(op)
    for table, opened, due_column in (('rectification_cases', 'opened_at', 'close_due_at'),
                                      ('assist_tasks', 'created_at', 'due_at')):
        open_only = "state != 'closed'" if table == 'rectification_cases' else \
            "state IN ('open', 'accepted')"
        marked = [{'i': row_id} for row_id, start, due in op.get_bind().execute(sa.text(
            f'SELECT id, {opened}, {due_column} FROM {table} WHERE {open_only}')).all()
            if _counts_unknown_year(calendar, _aware(start), _aware(due))]
        for first in range(0, len(marked), BATCH):
            op.get_bind().execute(sa.text(f'UPDATE {table} SET due_provisional = true WHERE id = :i'),
                                  marked[first:first + BATCH])
            commit(op)


def _days_between(calendar, start, due):
    """Working days after start's local day up to the day before the deadline's midnight."""
    from community.core.timeutil import local_zone

    zone = local_zone()
    day, last = start.astimezone(zone).date(), due.astimezone(zone).date() - timedelta(days=1)
    count = 0
    while day < last and count < 400:
        day += timedelta(days=1)
        count += calendar.is_working_day(day)
    return count


def _counts_unknown_year(calendar, start, due):
    return any(not calendar.knows(datetime.fromtimestamp(t, timezone.utc).date())
               for t in (start.timestamp(), due.timestamp()))


def downgrade():
    with op.batch_alter_table('tickets') as batch_op:
        batch_op.drop_column('resolve_working_days')
    for table, column in (('assist_tasks', 'due_provisional'),
                          ('rectification_cases', 'due_provisional'),
                          ('tickets', 'resolve_due_provisional')):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
    op.drop_table('calendar_days')
    op.drop_table('calendar_years')
