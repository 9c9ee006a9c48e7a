"""PostgreSQL going away: requests in flight get a plain 503, the app reconnects by itself.

Restarting the shared server would disturb every other user of it, so the
restart is simulated the way the app experiences one: its backends are
terminated (pg_terminate_backend), found by the application_name the app
sets on its connections (COMMUNITY_DB_APPLICATION_NAME; the suite makes it
unique per run). bench/soak.py does the same during a load run.
"""
import os

import psycopg
import pytest
from sqlalchemy import event, text

from community.core.extensions import db
from community.core.timeutil import utcnow
from tests.factories import file_ticket, login

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not (os.environ.get("DATABASE_URL") or "").startswith("postgres"),
                                 reason="needs PostgreSQL (DATABASE_URL)")]


def admin_connection():
    return psycopg.connect(os.environ["DATABASE_URL"], autocommit=True,
                           application_name="community-fault-injector")


def app_name(app):
    return app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["application_name"]


def terminate_app_backends(app) -> int:
    with admin_connection() as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND application_name = %s",
                            (app_name(app),)).fetchall()
    return len(rows)


@pytest.fixture
def kill_mid_request(app):
    """Once armed, the next query that reads tickets finds its backend gone, as in a restart."""
    armed = {"on": False, "fired": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        if armed["on"] and "FROM tickets" in statement:
            armed["on"] = False
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin_connection() as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            armed["fired"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    yield armed
    event.remove(db.engine, "before_cursor_execute", before)


def test_backends_killed_between_requests_are_replaced_unseen(app, client, people, areas):
    ticket = file_ticket(people, areas, now=utcnow())
    ticket_id, code = ticket.id, ticket.tracking_code
    login(client, "grid")
    assert client.get("/work").status_code == 200
    db.session.remove()  # the test's own connection goes back to the pool too
    assert terminate_app_backends(app) >= 1
    # The checkout's BEGIN (community/core/dbpool.py) finds the dead connections and opens new ones.
    assert client.get(f"/work/tickets/{ticket_id}").status_code == 200
    assert client.get(f"/t/{code}").status_code == 200


def test_a_request_in_flight_fails_cleanly_then_the_app_recovers(app, client, people, areas,
                                                               kill_mid_request):
    ticket_id = file_ticket(people, areas, now=utcnow()).id
    login(client, "grid")
    kill_mid_request["on"] = True
    response = client.get(f"/work/tickets/{ticket_id}")
    assert kill_mid_request["fired"] == 1
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "服务暂时不可用" in body and "Traceback" not in body and "psycopg" not in body
    assert client.get(f"/work/tickets/{ticket_id}").status_code == 200  # reconnected


def test_the_api_answers_503_as_json(app, client, people, areas, kill_mid_request):
    code = file_ticket(people, areas, now=utcnow()).tracking_code
    login(client, "grid")
    kill_mid_request["on"] = True
    response = client.get(f"/api/v1/requests/{code}")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert client.get(f"/api/v1/requests/{code}").status_code == 200


def backend_pid_in_pool(app) -> int:
    with db.engine.connect() as conn:
        return conn.connection.dbapi_connection.info.backend_pid


def test_a_backend_killed_just_before_checkout_is_replaced(app):
    """No window between the kill and the backend's exit: the checkout's BEGIN
    meets the dying backend and the pool opens another connection, every time."""
    db.session.remove()
    db.engine.dispose()  # one connection in the pool: the next checkout must get the killed one
    for _attempt in range(10):
        pid = backend_pid_in_pool(app)
        with admin_connection() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with db.engine.connect() as conn:  # at once: no wait for the backend to go
            assert conn.execute(text("SELECT 1")).scalar() == 1
            assert conn.connection.dbapi_connection.info.backend_pid != pid
