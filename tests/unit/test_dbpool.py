"""The checkout's BEGIN stands in for pool_pre_ping on PostgreSQL (community/core/dbpool.py)."""
import os

import pytest
from psycopg import pq
from sqlalchemy import text

from community.core.extensions import db

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not (os.environ.get("DATABASE_URL") or "").startswith("postgres"),
                                 reason="the checkout BEGIN is PostgreSQL-only (psycopg); CI's PostgreSQL pass runs these")]


def status(conn):
    return conn.connection.dbapi_connection.pgconn.transaction_status


def test_no_ping_and_the_transaction_is_open_at_checkout(app):
    assert db.engine.pool._pre_ping is False
    with db.engine.connect() as conn:
        assert status(conn) == pq.TransactionStatus.INTRANS  # psycopg sends no BEGIN of its own
        started = conn.execute(text("SELECT xact_start FROM pg_stat_activity "
                                    "WHERE pid = pg_backend_pid()")).scalar()
        assert started is not None
        conn.commit()
        assert status(conn) == pq.TransactionStatus.IDLE
    with db.engine.connect() as conn:  # the same pooled connection, begun again
        assert status(conn) == pq.TransactionStatus.INTRANS


def test_a_commit_and_a_rollback_behave_as_before(app):
    with db.engine.connect() as conn:
        conn.execute(text("CREATE TEMP TABLE probe (n int) ON COMMIT PRESERVE ROWS"))
        conn.execute(text("INSERT INTO probe VALUES (1)"))
        conn.commit()
        conn.execute(text("INSERT INTO probe VALUES (2)"))
        conn.rollback()
        assert conn.execute(text("SELECT array_agg(n) FROM probe")).scalar() == [1]
        conn.execute(text("DROP TABLE probe"))
        conn.commit()


def test_autocommit_and_other_isolation_levels_still_work(app):
    # VACUUM refuses to run inside a transaction block: the checkout's BEGIN must be gone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM outbox"))
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        assert conn.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
    with db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:  # engine-wide
        conn.execute(text("VACUUM outbox"))
    with db.engine.connect().execution_options(postgresql_readonly=True) as conn:
        assert conn.execute(text("SHOW transaction_read_only")).scalar() == "on"
    with db.engine.connect() as conn:  # back in the pool at the default level, begun
        assert conn.execute(text("SHOW transaction_isolation")).scalar() == "read committed"
        assert conn.execute(text("SHOW transaction_read_only")).scalar() == "off"
        assert status(conn) == pq.TransactionStatus.INTRANS
