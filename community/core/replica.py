"""Reads from a PostgreSQL read replica (DATABASE_REPLICA_URL), issue 31.

Without DATABASE_REPLICA_URL everything runs on the primary and nothing here costs a thing.
With it, the heavy readers (dashboards, figures, exports, /public, Open311 and API GETs,
the queue's list) are declared with `reads_from_replica` and their SELECTs go to the
replica through the session's own `get_bind` (SQLAlchemy's routing hook; a second bind
named "replica" in Flask-SQLAlchemy's SQLALCHEMY_BINDS), never through a proxy of ours.

Everything else stays on the primary: every write, every flush, every SELECT … FOR UPDATE,
and every page or check that decides a write (forms, actions), since those are simply not
declared. Three guards keep a replica read from being wrong:
- read your writes: a browser session or an API token that has just committed a write
  reads from the primary for COMMUNITY_REPLICA_STICKY_SECONDS (a cookie field for the
  browser, a short-lived Redis key per token for the API);
- lag: the replica's replay delay is probed at most every COMMUNITY_REPLICA_CHECK_SECONDS;
  past COMMUNITY_REPLICA_MAX_LAG_SECONDS (30 by default) reads go to the primary;
- down: a replica that does not answer within its connect timeout counts as lagging.
Each fall-back is counted (community_replica_fallbacks_total{reason}) and logged once
per change of state, not once per request.
"""
import hashlib
import logging
import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask import current_app, g, has_app_context, request, session
from flask_sqlalchemy.session import Session
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause

log = logging.getLogger(__name__)

BIND = "replica"
STICKY_COOKIE_KEY = "_primary_until"
WROTE = "replica_wrote"  # session.info: this transaction has flushed
READ_TEXT = re.compile(r"\s*(SELECT|WITH|SHOW|VALUES)\b", re.I)
_reading = ContextVar("community_replica_reads", default=False)

FALLBACKS = Counter("community_replica_fallbacks", "Reads sent to the primary instead of the replica",
                    ["reason"])

# The replica's delay: 0 when it has replayed all it received, else the age of the last
# transaction it replayed (an idle primary sends nothing, so that age alone would grow).
LAG_SQL = text("""
    SELECT pg_is_in_recovery(),
           CASE WHEN pg_last_wal_receive_lsn() IS NULL
                  OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)
           END
""")


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, sending a declared reader's SELECTs to the replica."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and _reading.get() and self._may_read_replica(clause):
            engine = replica_engine()
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    def _may_read_replica(self, clause) -> bool:
        if self._flushing or self.info.get(WROTE) or not self._is_clean():
            return False  # this transaction writes: it reads what it writes, on the primary
        if isinstance(clause, UpdateBase):
            return False
        if isinstance(clause, TextClause) and not READ_TEXT.match(clause.text):
            return False  # raw SQL that is not plainly a query
        return getattr(clause, "_for_update_arg", None) is None


@contextmanager
def reading_replica():
    """Run the block's reads on the replica (when there is one and it is fresh)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reads_from_replica(target):
    """Declare a view function, or every GET/HEAD of a blueprint, a replica reader."""
    if hasattr(target, "before_request"):  # a blueprint
        target.before_request(_start_reading)
        target.teardown_request(_stop_reading)
        return target

    @wraps(target)
    def view(*args, **kwargs):
        if not _allowed_for_this_request():
            return target(*args, **kwargs)
        with reading_replica():
            return target(*args, **kwargs)
    return view


def _start_reading():
    if _allowed_for_this_request():
        g._replica_token = _reading.set(True)


def _stop_reading(_exc=None):
    token = g.pop("_replica_token", None)
    if token is not None:
        _reading.reset(token)


def _allowed_for_this_request() -> bool:
    if BIND not in current_app.extensions.get("replica_binds", ()):
        return False
    if request.method not in ("GET", "HEAD"):
        return False
    if _sticky():
        FALLBACKS.labels("read_your_writes").inc()
        return False
    return True


# -- read your writes -----------------------------------------------------------------

def _token_key() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    return "replica:primary:" + hashlib.sha256(header.encode()).hexdigest()[:32]


def _sticky() -> bool:
    if session.get(STICKY_COOKIE_KEY, 0) > time.time():
        return True
    key = _token_key()
    if key is None:
        return False
    try:
        return bool(current_app.extensions["redis"].exists(key))
    except Exception:  # Redis down: stay on the primary, never on stale data
        return True


def _after_flush(db_session, _flush_context):
    db_session.info[WROTE] = True
    if has_app_context():
        g._replica_wrote = True


def _after_transaction_end(db_session, transaction):
    if transaction.parent is None:  # the session's outermost transaction: committed or rolled back
        db_session.info.pop(WROTE, None)


def _remember_write(response):
    if not g.pop("_replica_wrote", False):
        return response
    seconds = current_app.config["COMMUNITY_REPLICA_STICKY_SECONDS"]
    key = _token_key()
    if key is not None:
        try:
            current_app.extensions["redis"].set(key, 1, ex=max(int(seconds), 1))
        except Exception:
            log.warning("replica: could not mark token %s… as having written", key[-8:])
    else:
        session[STICKY_COOKIE_KEY] = time.time() + seconds
    return response


# -- the replica's health ---------------------------------------------------------------

def replica_engine():
    """The replica's engine if it answers and is fresh enough, else None (the primary)."""
    if not has_app_context():
        return None
    app = current_app._get_current_object()
    state = app.extensions.get("replica_state")
    if state is None:
        return None
    now = time.monotonic()
    if now - state["checked"] >= app.config["COMMUNITY_REPLICA_CHECK_SECONDS"]:
        _probe(app, state, now)
    if not state["ok"]:
        FALLBACKS.labels(state["reason"]).inc()
        return None
    from community.core.extensions import db

    return db.engines[BIND]


def _probe(app, state, now) -> None:
    from community.core.extensions import db

    state["checked"] = now
    try:
        with db.engines[BIND].connect() as conn:
            in_recovery, lag = conn.execute(LAG_SQL).one()
        lag = float(lag or 0)
    except Exception as exc:  # down, refused, timed out: the primary answers instead
        ok, reason, lag = False, "down", None
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    else:
        bound = app.config["COMMUNITY_REPLICA_MAX_LAG_SECONDS"]
        ok, reason = lag <= bound, "lag"
        detail = f"lag {lag:.1f} s (bound {bound} s), in recovery: {in_recovery}"
    state["lag"] = lag
    if ok != state["ok"] or reason != state["reason"]:
        (log.info if ok else log.warning)(
            "replica: reads %s (%s)", "on the replica" if ok else "on the primary", detail)
    state["ok"], state["reason"] = ok, (None if ok else reason)


def replica_lag_seconds():
    """The last probed lag (None if never probed or the replica is down), for /metrics."""
    state = current_app.extensions.get("replica_state")
    return None if state is None else state["lag"]


def forget_state(app) -> None:
    """Probe again at the next read (tests, and an operator after fixing the replica)."""
    if "replica_state" in app.extensions:
        app.extensions["replica_state"].update(checked=float("-inf"), ok=False, reason="unknown")


# -- wiring -----------------------------------------------------------------------------

def configure_binds(app) -> None:
    """Before db.init_app: the replica as a second engine with the primary's options."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args", {}))
    connect_args.setdefault("connect_timeout", app.config["COMMUNITY_REPLICA_CONNECT_TIMEOUT"])
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_BINDS"] = {**(app.config.get("SQLALCHEMY_BINDS") or {}),
                                      BIND: {"url": url, **options}}


def init_replica(app, db) -> None:
    """After db.init_app: health state, and the read-your-writes hooks."""
    if not app.config.get("DATABASE_REPLICA_URL"):
        return
    from sqlalchemy import event

    from community.core.dbpool import begin_at_checkout

    with app.app_context():
        begin_at_checkout(db.engines[BIND])
    app.extensions["replica_binds"] = (BIND,)
    app.extensions["replica_state"] = {"checked": float("-inf"), "ok": False, "reason": "unknown",
                                       "lag": None}
    if not getattr(RoutingSession, "_replica_listening", False):
        event.listen(RoutingSession, "after_flush", _after_flush)
        event.listen(RoutingSession, "after_transaction_end", _after_transaction_end)
        RoutingSession._replica_listening = True
    app.after_request(_remember_write)
