"""tickets.grid_unsure: the grid was not found from the address (no silent guess)

A request whose address matched no grid's address words, in a community with more
than one grid, waits in the community's first grid as before, but marked: staff see
"网格待核实" and the grid worker or the community office confirms or corrects it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 03:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a constant default: PostgreSQL adds it without rewriting the
    # table, and on SQLite no batch copy of tickets (which would drop its search triggers).
    op.add_column('tickets', sa.Column('grid_unsure', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('tickets') as batch_op:  # SQLite: the search triggers go too
        batch_op.drop_column('grid_unsure')
