"""Putting work on the RQ queue without letting a Redis outage break the request."""
import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=current_app.extensions["redis"])


def enqueue_soon(func_path: str, *args, job_id: str | None = None, **kwargs) -> bool:
    """Best effort: work that matters is also recorded in the database, and a
    periodic job picks up whatever this could not enqueue."""
    try:
        queue().enqueue(func_path, *args, job_id=job_id, **kwargs)
        return True
    except RedisError:
        log.warning("could not enqueue %s; it will be picked up later", func_path)
        return False
