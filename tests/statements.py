"""The SQL statements a piece of a test sends, for the tests that count them (a page's
cost must not grow with its rows; a filing's statements)."""
from contextlib import contextmanager

from sqlalchemy import event

from community.core.extensions import db


@contextmanager
def recorded():
    """Yields the list of statement texts sent on the app's engine inside the block."""
    seen = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
