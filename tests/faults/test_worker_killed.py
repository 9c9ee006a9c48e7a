"""A worker process killed (SIGKILL) in the middle of a job: the work runs again,
and the escalation and the resident's notification happen once.

The worker is a real `workers.worker --burst` process on a redis-server of the
test's own; its job waits on a Redis key before committing, the test kills it
there, then the outbox relay offers the stale row again and a second worker
finishes it.
"""
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from community.core.extensions import db
from community.outbox import emit, relay_outbox
from community.outbox.models import OutboxRow
from community.tickets.models import Ticket, TicketEvent
from community.core.timeutil import utcnow
from community.workqueue.models import Notification
from tests.faults import blocking
from tests.factories import file_ticket

ROOT = Path(__file__).resolve().parents[2]


def worker_env(app, redis_port):
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
               SECRET_KEY=app.config["SECRET_KEY"],
               COMMUNITY_UPLOAD_DIR=app.config["COMMUNITY_UPLOAD_DIR"])
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
        schema = re.search(r"search_path=(\S+)", options).group(1)
        env["DATABASE_URL"] = (url.set(drivername="postgresql").render_as_string(hide_password=False)
                               + f"?options=-csearch_path%3D{schema}")
    else:
        env["DATABASE_URL"] = url.render_as_string(hide_password=False)
    return env


def start_worker(env):
    return subprocess.Popen([sys.executable, "-m", "tests.faults.blocking", "--burst"], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_killed_worker_loses_nothing_and_repeats_nothing(app, people, areas, private_redis):
    ticket = file_ticket(people, areas, now=utcnow())  # the worker escalates at its own now
    ticket_id = ticket.id
    redis = private_redis.client(socket_timeout=150)  # BLPOP below waits up to 120 s
    redis.set("fault:armed", "1")
    row = emit(blocking.KIND, f"test:{ticket_id}", {"ticket_id": ticket_id}, now=utcnow())
    db.session.commit()  # offered to RQ on commit
    row_id = row.id
    env = worker_env(app, private_redis.port)

    first = start_worker(env)
    started = redis.blpop(["fault:started"], timeout=120)  # the job is mid-way, not committed
    assert started, first.stderr.read().decode()[-2000:] if first.poll() is not None else "no start"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket_id).tier == "grid"  # nothing of the job was kept
    assert db.session.get(OutboxRow, row_id).done_at is None

    redis.delete("fault:armed")
    # The row was offered and never finished: after the stale period the relay offers it again.
    assert relay_outbox(utcnow() + timedelta(hours=3)) == 1
    db.session.commit()
    second = start_worker(env)
    assert second.wait(timeout=120) == 0, second.stderr.read().decode()[-2000:]
    db.session.expire_all()
    assert db.session.get(OutboxRow, row_id).done_at is not None
    assert db.session.get(Ticket, ticket_id).tier == "community"
    escalations = db.session.scalar(select(func.count(TicketEvent.id)).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.action == "auto_escalate"))
    notes = db.session.scalar(select(func.count(Notification.id)).where(
        Notification.ticket_id == ticket_id))
    assert (escalations, notes) == (1, 1)
    # Running the row once more (a duplicate job) changes nothing.
    assert relay_outbox(utcnow() + timedelta(hours=6)) == 0
