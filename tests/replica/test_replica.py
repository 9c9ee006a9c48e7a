"""Reads on a real PostgreSQL streaming standby (issue 31): `.ci/standby` starts one on
127.0.0.1:5433 and CI's PostgreSQL pass names it in TEST_REPLICA_URL.

Which server answered is asked of the connection itself (`pg_is_in_recovery()` is true
only on the standby), and the statements each engine ran are counted per request.
"""
import os
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text, update

from community import create_app
from community.auth.models import User
from community.core.extensions import db
from community.core.replica import FALLBACKS, forget_state, reading_replica

from ..conftest import IsolatedClient
from ..factories import login

REPLICA_URL = os.environ.get("TEST_REPLICA_URL")
if not REPLICA_URL or not (os.environ.get("DATABASE_URL") or "").startswith("postgres"):
    if os.environ.get("REQUIRE_REPLICA_TESTS"):  # CI's PostgreSQL pass: a skip would hide a gap
        raise RuntimeError("REQUIRE_REPLICA_TESTS is set but TEST_REPLICA_URL/DATABASE_URL are not")
    pytest.skip("no standby: run .ci/standby and set TEST_REPLICA_URL (CI does)",
                allow_module_level=True)

# One standby for the whole suite: the tests that pause its replay run one at a time.
pytestmark = [pytest.mark.xdist_group("replica"), pytest.mark.usefixtures("frozen")]


def _app_like(app, replica_url, **config):
    overrides = {key: app.config[key] for key in (
        "TESTING", "WTF_CSRF_ENABLED", "SERVER_NAME", "REDIS_URL", "SQLALCHEMY_ENGINE_OPTIONS")}
    overrides.update(DATABASE_REPLICA_URL=replica_url, COMMUNITY_REPLICA_CHECK_SECONDS=0, **config)
    made = create_app(overrides, instance_path=app.instance_path)
    made.test_client_class = IsolatedClient
    return made


@pytest.fixture(scope="module")
def replica_app(app):
    return _app_like(app, "postgresql+psycopg://" + REPLICA_URL.split("://", 1)[1])


@pytest.fixture
def standby(replica_app, people):
    """The standby has replayed everything the fixtures wrote; counts each engine's statements."""
    with replica_app.app_context():
        forget_state(replica_app)
        _wait_caught_up()
        seen = {"replica": 0, "primary": 0}

        def counter(name):
            def count(*_args):
                seen[name] += 1
            return count
        listeners = [(db.engines["replica"], counter("replica")), (db.engine, counter("primary"))]
        for engine, listener in listeners:
            event.listen(engine, "before_cursor_execute", listener)
        try:
            yield seen
        finally:
            for engine, listener in listeners:
                event.remove(engine, "before_cursor_execute", listener)


def _wait_caught_up(seconds=15):
    """Replication is asynchronous: wait (for the standby, not for a clock) until it has
    replayed the primary's current position."""
    with db.engine.connect() as primary:
        target = primary.execute(text("SELECT pg_current_wal_lsn()")).scalar()
    deadline = time.monotonic() + seconds
    with db.engines["replica"].connect() as replica:
        while True:
            done = replica.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"),
                                   {"t": str(target)}).scalar()
            if done:
                return
            if time.monotonic() > deadline:
                pytest.fail("the standby did not catch up")
            time.sleep(0.05)


@contextmanager
def _replay_paused():
    with db.engines["replica"].connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()"))
        try:
            yield conn
        finally:
            conn.execute(text("SELECT pg_wal_replay_resume()"))


def _recovering() -> bool:
    return db.session.scalar(select(func.pg_is_in_recovery()))


def test_declared_reads_land_on_the_standby_and_the_rest_on_the_primary(replica_app, standby):
    assert _recovering() is False
    db.session.rollback()
    with reading_replica():
        assert _recovering() is True
        assert db.session.scalar(select(func.count(User.id))) == 14  # the fixtures' people, replayed
    db.session.rollback()
    assert _recovering() is False


def test_writes_never_go_to_the_standby_even_inside_a_declared_read(replica_app, standby):
    with reading_replica():
        user = db.session.scalar(select(User).where(User.username == "grid"))
        user.name = "改了"
        db.session.flush()  # the flush, and everything read after it, on the primary
        assert _recovering() is False
        db.session.execute(update(User).where(User.id == user.id).values(name="又改了"))
        locked = db.session.scalar(select(User.name).where(User.id == user.id).with_for_update())
        assert locked == "又改了"
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(User.name).where(User.username == "grid")) == "又改了"


def test_dashboards_public_and_api_gets_read_the_standby_forms_do_not(replica_app, standby, areas):
    client = replica_app.test_client()
    assert client.get("/public").status_code == 200
    assert standby["replica"] > 0
    before = dict(standby)
    assert client.get("/open311/v2/services.json").status_code == 200
    assert standby["replica"] > before["replica"]
    before = dict(standby)
    assert client.get("/login").status_code == 200  # a form's page: not declared
    assert standby["replica"] == before["replica"]


def test_a_session_that_has_written_reads_its_own_writes_for_a_few_seconds(
        replica_app, standby, areas, frozen):
    client = replica_app.test_client()
    login(client, "street")  # signing in writes (its session row): this browser now sticks
    _wait_caught_up()
    before = dict(standby)
    assert client.get(f"/stats/units/{areas.S1.id}").status_code == 200
    assert standby["replica"] == before["replica"] and standby["primary"] > before["primary"]
    frozen.shift(timedelta(seconds=replica_app.config["COMMUNITY_REPLICA_STICKY_SECONDS"] + 1))
    before = dict(standby)
    assert client.get(f"/stats/units/{areas.S1.id}").status_code == 200
    assert standby["replica"] > before["replica"]


def test_a_standby_that_does_not_answer_sends_reads_to_the_primary(app, people):
    dead = _app_like(app, "postgresql+psycopg://postgres@127.0.0.1:1/test",
                     COMMUNITY_REPLICA_CONNECT_TIMEOUT=1)
    down = FALLBACKS.labels("down")
    counted = down._value.get()
    with dead.app_context():
        assert dead.test_client().get("/public").status_code == 200  # answered by the primary
        with reading_replica():
            assert _recovering() is False
    assert down._value.get() > counted


def test_a_standby_lagging_past_the_bound_is_passed_over_until_it_catches_up(replica_app, standby):
    replica_app.config["COMMUNITY_REPLICA_MAX_LAG_SECONDS"] = 0  # any delay at all is too much
    try:
        with _replay_paused() as standby_conn:
            db.session.execute(update(User).where(User.username == "grid").values(name="延迟"))
            db.session.commit()
            target = db.session.scalar(text("SELECT pg_current_wal_lsn()"))
            deadline = time.monotonic() + 15
            while not standby_conn.execute(text(
                    "SELECT pg_last_wal_receive_lsn() >= CAST(:t AS pg_lsn)"), {"t": str(target)}).scalar():
                assert time.monotonic() < deadline, "the standby never received the write"
                time.sleep(0.05)
            with reading_replica():
                assert _recovering() is False  # received, not replayed: too late to read
                assert db.session.scalar(select(User.name).where(User.username == "grid")) == "延迟"
            db.session.rollback()
        _wait_caught_up()
        with reading_replica():
            assert _recovering() is True
            assert db.session.scalar(select(User.name).where(User.username == "grid")) == "延迟"
        db.session.rollback()
    finally:
        replica_app.config["COMMUNITY_REPLICA_MAX_LAG_SECONDS"] = 30
