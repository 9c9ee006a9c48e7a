"""Loaded into a real worker process by test_worker_killed.py: an outbox handler that
escalates a request (the resident is notified) and, while armed, waits on a Redis
key before its transaction commits, so the test can kill the process mid-job."""
import os
import sys

from community.outbox import register_handler

KIND = "test.escalate_slowly"


def escalate_slowly(payload):
    from flask import current_app

    from community.core.extensions import db
    from community.tickets.models import Ticket
    from community.core.timeutil import utcnow
    from community.workqueue.routing import escalate

    ticket = db.session.get(Ticket, payload["ticket_id"])
    escalate(ticket, None, utcnow(), "签收超时", action="auto_escalate")
    db.session.flush()
    redis = current_app.extensions["redis"]
    if redis.get("fault:armed"):
        redis.rpush("fault:started", os.getpid())
        redis.blpop(["fault:release"], timeout=60)  # killed here, before the commit


register_handler(KIND, escalate_slowly)

if __name__ == "__main__":
    from tests import clock
    from workers.worker import main

    clock.start_offset()  # the same "real now" as the test that started this worker
    main(sys.argv[1:])
