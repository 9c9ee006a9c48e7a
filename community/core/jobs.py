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
