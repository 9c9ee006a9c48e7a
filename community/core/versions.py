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
from flask import current_app, has_request_context, request

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
