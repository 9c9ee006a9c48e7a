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
for another isolation level, read-only or autocommit (the city generator's index
builds), on a Connection or on the Engine, first gets the untouched transaction
rolled back: SQLAlchemy changes these only outside its own transactions, so an open
one at that moment is the checkout's, with no statement in it. Not covered, as
nothing here uses them: two-phase transactions, and psycopg's own transaction()
or autocommit on the raw DBAPI connection.
"""
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

# The dialect's calls that psycopg refuses inside a transaction.
CHARACTERISTICS = ("set_isolation_level", "set_readonly", "set_deferrable")


def begin_at_checkout(engine) -> None:
    """Replace pool_pre_ping on a PostgreSQL engine driven by psycopg 3."""
    if engine.dialect.driver != "psycopg":
        return
    event.listen(engine, "checkout", _begin)
    for name in CHARACTERISTICS:
        _end_empty_transaction_before(engine.dialect, name)


def _begin(dbapi_connection, _record, _proxy) -> None:
    pgconn = dbapi_connection.pgconn
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        # Broken, or left in a failed transaction: not a connection to hand out.
        raise DisconnectionError(f"connection not idle at checkout ({pgconn.transaction_status.name})")
    if dbapi_connection.autocommit:
        return
    try:
        result = pgconn.exec_(dbapi_connection._get_tx_start_command())
    except Exception as exc:  # libpq could not even send it: the socket is gone
        raise DisconnectionError("BEGIN at checkout failed") from exc
    if result.status != pq.ExecStatus.COMMAND_OK or pgconn.status != pq.ConnStatus.OK:
        # The pool throws this connection away and checks out (or opens) another.
        raise DisconnectionError("BEGIN at checkout failed: "
                                 + (pgconn.error_message or b"").decode(errors="replace").strip())


def _end_empty_transaction_before(dialect, name) -> None:
    original = getattr(dialect, name)

    def call(dbapi_connection, *args, **kwargs):
        if dbapi_connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS:
            dbapi_connection.pgconn.exec_(b"ROLLBACK")
        return original(dbapi_connection, *args, **kwargs)

    setattr(dialect, name, call)  # this engine's dialect only
