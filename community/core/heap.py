"""The long-lived processes' heap, out of the cyclic collector's way.

A process that serves (gunicorn's workers, the RQ worker) holds some 250,000 objects
from start-up (modules, the app, SQLAlchemy's mappers) for its whole life. Python's
full collection walks all of them: 150–300 ms on this project's 2-core machine, and a
page that allocates much (1,800 communities in a select, a county dashboard) set one
off every 10–20 requests, so its p95 carried the pause (issue 30: /signup at 207 ms
with 34 ms of CPU). gc.freeze() moves what is alive now to a generation the collector
never walks; a full collection then takes 2–9 ms. Only for processes that serve: tests
build app after app, and frozen garbage would never be freed.
"""
import gc


def settle() -> None:
    """Collect what start-up left behind, then freeze the rest (call once, when ready)."""
    gc.collect()
    gc.freeze()
