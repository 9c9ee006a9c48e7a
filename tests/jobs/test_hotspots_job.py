"""The daily hotspot job: declared on rq cron, run by a worker, one run at a time, and
`flask hotspots find` by hand."""
from datetime import timedelta

from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from sqlalchemy import func, select

from community.core.extensions import db
from community.hotspots.detect import LOCK_KEY, find_hotspots_locked
from community.hotspots.models import Hotspot
from community.core.timeutil import utcnow
from workers import jobs

from ..factories import file_ticket


def _three(people, areas):
    now = utcnow()
    for i in range(3):
        file_ticket(people, areas, category="ENV", now=now - timedelta(days=i + 1))


def test_the_hotspot_job_is_declared_daily_and_runs_in_a_worker(app, people, areas, ctx):
    _three(people, areas)
    connection = app.extensions["redis"]
    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file("workers.cron")
    [entry] = [j for j in scheduler.get_jobs() if j.name == "hotspots"]
    assert entry.cron == "10 1 * * *" and entry.func_name == "workers.jobs.hotspots_job"
    entry.enqueue(connection)  # what the scheduler does at 01:10
    jobs.use_app(app)
    SimpleWorker([Queue("default", connection=connection)], connection=connection).work(burst=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Hotspot.id))) == 1


def test_one_run_at_a_time(app, people, areas, ctx):
    _three(people, areas)
    connection = app.extensions["redis"]
    connection.set(LOCK_KEY, "another run", ex=60)
    assert find_hotspots_locked(utcnow()) == {"skipped": 1}
    connection.delete(LOCK_KEY)
    assert find_hotspots_locked(utcnow())["new"] == 1 and connection.get(LOCK_KEY) is None


def test_the_command_runs_it_by_hand(app, people, areas, ctx):
    _three(people, areas)
    result = app.test_cli_runner().invoke(args=["hotspots", "find"])
    assert result.exit_code == 0 and "new=1" in result.output
    again = app.test_cli_runner().invoke(args=["hotspots", "find"])
    assert "new=0" in again.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Hotspot.id))) == 1
