"""Putting work on the RQ queue without letting a Redis outage break the request."""
import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=current_app.extensions["redis"])


def enqueue_soon(func_path: str, *args, job_id: str | None = None, **kwargs) -> bool:
    """Best effort, for work that may be lost (a Redis outage drops it). Work that
    must happen goes through the outbox instead (community.outbox.emit)."""
    try:
        queue().enqueue(func_path, *args, job_id=job_id, **kwargs)
        return True
    except RedisError:
        log.warning("could not enqueue %s; it will be picked up later", func_path)
        return False


def run_alone(key: str, token: str, work, *, redis=None, ttl: int = 600):
    """Run `work()` unless another worker holds `key` (Redis SET NX EX, released only by
    its holder); None when skipped. Without Redis it still runs: a periodic job that waits
    for Redis would be lost work, and the jobs this guards are safe run twice."""
    redis = redis or current_app.extensions["redis"]
    try:
        if not redis.set(key, token, nx=True, ex=ttl):
            return None
    except RedisError:
        redis = None
    try:
        return work()
    finally:
        if redis is not None:
            try:
                if (redis.get(key) or b"").decode() == token:
                    redis.delete(key)
            except RedisError:
                pass
