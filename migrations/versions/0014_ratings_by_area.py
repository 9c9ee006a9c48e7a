"""ratings: the request's grid, community, street and county on each rating, indexed with rated_at

A unit's list of ratings (/ratings, newest first) joined every rating to its
request and filtered by the request's unit: at 5 million requests a street's page
read all 3.2 million ratings (0.66 s) and a county's sorted 77 MB on disk. With
the place on the rating (kept with the request when it moves to another grid),
each list reads its own newest hundred from an index. Filled from the requests
here, before the foreign keys, so the fill is not checked row by row.

Without a long lock (issue 30: it held ratings against writes for about 3 minutes at
5 million requests): the columns are added in a moment and committed, the fill runs in
committed id slices, the foreign keys are added NOT VALID and validated after, and the
indexes are built CONCURRENTLY on PostgreSQL (community.core.migrating).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 07:40:00.000000
"""
from alembic import op
import sqlalchemy as sa

from community.core.migrating import add_foreign_key, commit, create_index, run_sliced


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

AREAS = ('grid', 'community', 'street', 'county')


def upgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        for area in AREAS:
            batch_op.add_column(sa.Column(f'{area}_id', sa.Integer(), nullable=True))
    commit(op)
    columns = ', '.join(f'{area}_id' for area in AREAS)
    # In id slices with progress: a city's 3 million ratings take minutes (issue 25).
    if op.get_bind().dialect.name == 'postgresql':
        fill = (f"UPDATE ratings r SET ({columns}) = ({', '.join('t.' + a + '_id' for a in AREAS)}) "
                "FROM tickets t WHERE t.id = r.ticket_id AND r.id >= :low AND r.id < :high")
    else:
        fill = (f"UPDATE ratings SET ({columns}) = (SELECT {columns} FROM tickets "
                "WHERE tickets.id = ratings.ticket_id) WHERE id >= :low AND id < :high")
    run_sliced(op, 'ratings', fill, '0014 ratings')
    if op.get_bind().dialect.name == 'postgresql':
        for area in AREAS:
            add_foreign_key(op, f'fk_ratings_{area}_id_units', 'ratings', 'units', [f'{area}_id'], ['id'])
    else:  # one batch copy of the table for the four
        with op.batch_alter_table('ratings', schema=None) as batch_op:
            for area in AREAS:
                batch_op.create_foreign_key(f'fk_ratings_{area}_id_units', 'units', [f'{area}_id'], ['id'])
    for area in AREAS:
        create_index(op, f'ix_ratings_{area}_rated', 'ratings', [f'{area}_id', 'rated_at'], unique=False)
    create_index(op, 'ix_ratings_rated_at', 'ratings', ['rated_at'], unique=False)


def downgrade():
    op.drop_index('ix_ratings_rated_at', table_name='ratings')
    for area in AREAS:
        op.drop_index(f'ix_ratings_{area}_rated', table_name='ratings')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        for area in AREAS:
            batch_op.drop_constraint(f'fk_ratings_{area}_id_units', type_='foreignkey')
            batch_op.drop_column(f'{area}_id')
