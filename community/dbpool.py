"""PostgreSQL connections: the transaction's BEGIN is the check that a pooled one still lives.

pool_pre_ping sends `SELECT 1` on every checkout, so every request paid one more
round trip than its statements: a tenth of a filing's trips to the database
(issue 9). psycopg sends a BEGIN before a transaction's first statement anyway;
here that BEGIN goes out at checkout instead, where the ping went. A backend that
died in the pool (a restart, a failover, pg_terminate_backend) fails the BEGIN as
it failed the ping, and the pool replaces the connection before anyone uses it.
With the server already in a transaction, psycopg sends no BEGIN of its own.

In PostgreSQL's default READ COMMITTED, a transaction's snapshots are taken per
statement, not at BEGIN, so what a request reads is unchanged. A caller asking
for another isolation level or autocommit (the city generator's index builds)
first gets the untouched transaction rolled back, as no statement ran in it.
"""
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

ISOLATION_OPTIONS = {"isolation_level", "postgresql_readonly", "postgresql_deferrable"}


def begin_at_checkout(engine) -> None:
    """Replace pool_pre_ping on a PostgreSQL (psycopg 3) engine."""
    event.listen(engine, "checkout", _begin)
    event.listen(engine, "set_connection_execution_options", _before_isolation_change)


def _begin(dbapi_connection, _record, _proxy) -> None:
    pgconn = dbapi_connection.pgconn
    if dbapi_connection.autocommit or pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return
    try:
        result = pgconn.exec_(dbapi_connection._get_tx_start_command())
    except Exception as exc:  # libpq could not even send it: the socket is gone
        raise DisconnectionError("BEGIN at checkout failed") from exc
    if result.status != pq.ExecStatus.COMMAND_OK or pgconn.status != pq.ConnStatus.OK:
        # The pool throws this connection away and checks out (or opens) another.
        raise DisconnectionError("BEGIN at checkout failed: "
                                 + (pgconn.error_message or b"").decode(errors="replace").strip())


def _before_isolation_change(connection, options) -> None:
    """psycopg refuses to change these inside a transaction. SQLAlchemy allows the
    change only outside its own, so an open one here is the checkout's, still empty."""
    if not ISOLATION_OPTIONS & set(options) or connection.in_transaction():
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS:
        dbapi_connection.pgconn.exec_(b"ROLLBACK")
