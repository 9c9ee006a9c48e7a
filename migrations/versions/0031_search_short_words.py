"""Staff search: words of one or two characters by an index too (issue 24, PostgreSQL).

A trigram index cannot answer a word shorter than three characters — most Chinese words
are two — and pg_trgm then reads its whole index: at 5 M requests a two-character word
that the scope does not contain (路灯, 王伟) took 6–7 s. `ticket_grams(value)` is the set
of a text's one- and two-character pieces (lower-cased), and a GIN index over the grams
of text and address answers `ticket_grams(…) @> ARRAY[word]` (community/workqueue/search.py).
The index is built CONCURRENTLY (no lock on tickets while it builds). SQLite: nothing
(its FTS5 trigram table and a LIKE inside the scope stay as they were).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 08:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

# The same text in the index and in the search's query (search.GRAMS_OF), so the planner matches it.
FUNCTION = """
CREATE OR REPLACE FUNCTION ticket_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
    SELECT substr(lower(value), i, n) AS g
    FROM generate_series(1, length(value)) AS i, (VALUES (1), (2)) AS s(n)
    WHERE i + n - 1 <= length(value)) AS grams
$$
"""
INDEX = ("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_tickets_grams ON tickets USING gin "
         "(ticket_grams(coalesce(text, '') || ' ' || coalesce(address, '')))")


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(sa.text(FUNCTION))
    with op.get_context().autocommit_block():
        op.execute(sa.text(INDEX))


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(sa.text("DROP INDEX IF EXISTS ix_tickets_grams"))
    op.execute(sa.text("DROP FUNCTION IF EXISTS ticket_grams(text)"))
