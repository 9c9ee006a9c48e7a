"""Loaded into a real worker process by test_worker_redis_outage.py: an outbox handler
that records one event per row (so doing a row twice would show), and whose row number
HOLD stops a while after signalling, so the test can kill Redis under a running job."""
import sys
import time

from community.outbox import register_handler

KIND = "test.count_once"
HOLD = 5  # this row signals "fault:started" and holds on, mid-job


def count_once(payload):
    from flask import current_app

    from community.core.extensions import db
    from community.tickets.models import Ticket
    from community.tickets.services import record_event
    from community.core.timeutil import utcnow

    ticket = db.session.get(Ticket, payload["ticket_id"])
    record_event(ticket, "test_job", None, utcnow(), note=f"row {payload['n']}", public=False,
                 touch=False)
    db.session.flush()
    if payload["n"] == HOLD:
        current_app.extensions["redis"].rpush("fault:started", 1)
        time.sleep(1.5)  # a job's work in progress: the test kills Redis now
    else:
        time.sleep(0.02)


register_handler(KIND, count_once)

if __name__ == "__main__":
    from tests import clock
    from workers.worker import main

    clock.start_offset()
    main(sys.argv[1:])
