"""Reliable background work: `emit()` in the transaction, a relay puts it on RQ.

    from community.outbox import emit, register_handler

    register_handler("stats.ticket_changed", update_rollup)   # at import time
    emit("stats.ticket_changed", f"stats:{ticket.id}:{event.id}", {"ticket_id": ticket.id}, now=now)
"""
from .services import emit, register_handler, relay_outbox, run_row  # noqa: F401
