"""Appeals follow their request's street (issue 30).

/ratings/appeals now finds an area's appeals by the appeal's own street column
(ix_appeals_street_state) instead of reading every rating of the unit: at 5 M requests a
county officer's list read 250,000 ratings to show its few hundred appeals (2.4 s). A
request moved to another street carried its ratings' place columns along but left its
appeal's street behind; from now on the appeal moves too (ratings.wiring), and this sets
the appeals already stale. Appeals are few (about 10,000 at 5 M requests) and only the
stale rows are written, so no table-wide lock is held. Data only: nothing to undo.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 10:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

RATING_STREET = "(SELECT r.street_id FROM ratings r WHERE r.id = appeals.rating_id)"


def upgrade():
    op.execute(sa.text(f"UPDATE appeals SET street_id = {RATING_STREET} "
                       f"WHERE {RATING_STREET} IS NOT NULL AND street_id <> {RATING_STREET}"))


def downgrade():
    pass
