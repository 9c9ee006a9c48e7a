"""ratings, rectification_cases, appeals: the request's handling unit on each row, indexed;
ratings: their resolution's unit

A department sees the requests it handles now (tickets.access.scope_filter), so its
lists of ratings, appeals and 整改 cases went through every request it ever handled:
at 5 million requests about 4,000 for a department, 18,700 buffers (28–71 ms) for each
page of /ratings, however it was written (a join, IN, a materialised CTE: the work is
the 4,000 requests and their ratings, not the plan). With the handling unit on the row
(kept with the request when it moves, ratings.wiring), each list reads its own page
from an index. Likewise a department's 差评 reasons by day (its dashboard) went through
every resolution it ever made: each rating now keeps its resolution's unit (which never
changes), indexed with the rating's time.

Without a long lock (as 0014): the columns are added in a moment and committed, the
fill runs in committed id slices, the foreign keys are added NOT VALID and validated
after, and the indexes are built CONCURRENTLY on PostgreSQL (community.core.migrating).
As with 0014, run it with the new code deployed right after: a row the old code writes
or moves in between keeps no (or a stale) handling unit until its request moves again.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 17:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

from community.core.migrating import add_foreign_key, commit, create_index, postgres, run_sliced


revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

TABLES = ('ratings', 'rectification_cases', 'appeals')
COLUMNS = [(table, 'handling_unit_id') for table in TABLES] + [('ratings', 'resolution_unit_id')]
INDEXES = [('ratings', 'ix_ratings_handling_rated', ['handling_unit_id', 'rated_at']),
           ('ratings', 'ix_ratings_resolution_unit_rated', ['resolution_unit_id', 'rated_at']),
           ('rectification_cases', 'ix_rectification_cases_handling_state', ['handling_unit_id', 'state']),
           ('appeals', 'ix_appeals_handling_filed', ['handling_unit_id', 'filed_at'])]


def _fill(table: str, where: str) -> str:
    """The UPDATE copying the request's handling unit onto `table`'s rows matching `where`
    (written with {x} for the table's name in it); a rating's resolution unit too."""
    pg = postgres(op)
    if table == 'appeals':  # through the appeal's rating, to its request
        if pg:
            return ("UPDATE appeals a SET handling_unit_id = t.handling_unit_id FROM ratings r "
                    "JOIN tickets t ON t.id = r.ticket_id "
                    f"WHERE r.id = a.rating_id AND {where.format(x='a')}")
        return ("UPDATE appeals SET handling_unit_id = (SELECT t.handling_unit_id FROM ratings r "
                "JOIN tickets t ON t.id = r.ticket_id WHERE r.id = appeals.rating_id) "
                f"WHERE {where.format(x='appeals')}")
    if table == 'ratings':
        if pg:
            return ("UPDATE ratings x SET handling_unit_id = t.handling_unit_id, "
                    "resolution_unit_id = s.unit_id FROM tickets t, resolutions s "
                    f"WHERE t.id = x.ticket_id AND s.id = x.resolution_id AND {where.format(x='x')}")
        return ("UPDATE ratings SET handling_unit_id = (SELECT handling_unit_id FROM tickets "
                "WHERE tickets.id = ratings.ticket_id), resolution_unit_id = (SELECT unit_id "
                "FROM resolutions WHERE resolutions.id = ratings.resolution_id) "
                f"WHERE {where.format(x='ratings')}")
    if pg:
        return (f"UPDATE {table} x SET handling_unit_id = t.handling_unit_id FROM tickets t "
                f"WHERE t.id = x.ticket_id AND {where.format(x='x')}")
    return (f"UPDATE {table} SET handling_unit_id = (SELECT handling_unit_id FROM tickets "
            f"WHERE tickets.id = {table}.ticket_id) WHERE {where.format(x=table)}")


def backfill():
    """Each row takes its request's handling unit, in id slices with progress: a city's
    3 million ratings take minutes (issue 25)."""
    for table in TABLES:
        run_sliced(op, table, _fill(table, "{x}.id >= :low AND {x}.id < :high"), f'0036 {table}')


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
    commit(op)
    backfill()
    for table, column in COLUMNS:
        if postgres(op):
            add_foreign_key(op, f'fk_{table}_{column}_units', table, 'units', [column], ['id'])
        else:
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.create_foreign_key(f'fk_{table}_{column}_units', 'units', [column], ['id'])
    for table, name, columns in INDEXES:
        create_index(op, name, table, columns, unique=False)


def downgrade():
    for table, name, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_{column}_units', type_='foreignkey')
            batch_op.drop_column(column)
