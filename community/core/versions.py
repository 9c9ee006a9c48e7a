"""The version tokens in Redis that say whether a process's copy of a small table is
still good (the SLA policies, the webhook subscriptions, the categories).

Each owner keeps its own copy and decides what a missing or unreadable token means;
this only reads the tokens: during a request, all of them in one round trip (MGET)
the first time one is asked for, and the same answers for the rest of that request.
A filing asked Redis once per copy it used (issue 30). Outside a request (jobs, the
CLI) every ask reads Redis, as before. A process that changes a table clears its own
copy as well, so an answer kept from earlier in the same request is never trusted
over a change made by that request.
"""
import logging
import secrets

from flask import current_app, has_app_context, has_request_context, request
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
KEYS: list[str] = []  # every token a copy in this process depends on (register at import)
_SEEN = "community.versions"  # the request's answers, in its WSGI environ


def register(key: str) -> str:
    if key not in KEYS:
        KEYS.append(key)
    return key


def current(key: str):
    """The token's value (bytes, or None when unset); raises RedisError/OSError as
    redis-py does."""
    conn = current_app.extensions["redis"]
    if not has_request_context():
        return conn.get(key)
    seen = request.environ.get(_SEEN)
    if seen is None or key not in seen:
        keys = KEYS if key in KEYS else [*KEYS, key]
        seen = dict(zip(keys, conn.mget(keys)))
        request.environ[_SEEN] = seen
    return seen[key]


def forget() -> None:
    """After setting a token: this request's later asks read Redis again."""
    if has_request_context():
        request.environ.pop(_SEEN, None)


# Changes to a copied table. The new token is set after the commit, not at the change:
# set before it, another process could read the old rows under the new token and keep
# them until the next change. Until the commit the changing session reads the table
# itself (its copy would hold rows that may still be rolled back).
_CHANGED = "community.versions.changed"  # in Session.info: the tokens to renew at commit


def change(session, key: str) -> None:
    """This transaction changes the table behind `key`."""
    session.info.setdefault(_CHANGED, set()).add(key)


def changing(session, key: str) -> bool:
    return key in session.info.get(_CHANGED, ())


def started(key: str):
    """The token, set to a fresh one first when Redis has none (new or flushed);
    raises RedisError/OSError as current() does."""
    version = current(key)
    if version is None:
        current_app.extensions["redis"].set(key, secrets.token_hex(8), nx=True)
        forget()
        version = current(key)
    return version


def _renew(session) -> None:
    """After a commit: a new token for every table it changed (core.wiring listens)."""
    keys = session.info.pop(_CHANGED, None)
    if not keys or not has_app_context():
        return
    try:
        current_app.extensions["redis"].mset({key: secrets.token_hex(8) for key in keys})
    except (RedisError, OSError):
        # Other processes keep what just changed (the owners' CACHE_SECONDS bound it where
        # they have one): say so loudly.
        log.exception("changed, but the version tokens %s could not be renewed in Redis", sorted(keys))
    forget()


def _drop(session, previous_transaction) -> None:
    if getattr(previous_transaction, "nested", False):
        return  # a savepoint: the change may still commit with the outer transaction
    session.info.pop(_CHANGED, None)
