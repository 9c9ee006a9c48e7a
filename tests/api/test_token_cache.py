"""Tokens kept per process (community.api.tokens): a known token costs no SELECT, and a
change to a token or its user holds at once, in this process and in any other.

"Another process" is played by putting back the copies this process kept before the
change: that is what a second gunicorn worker still holds when the change commits here.
"""
from datetime import timedelta

from redis.connection import AbstractConnection
from sqlalchemy import select

from community.api import tokens
from community.api.models import ApiToken
from community.core.extensions import db
from community.core.timeutil import utcnow
from tests.factories import csrf_from, login

from .conftest import bearer
from tests.statements import recorded


def _me(client, headers):
    """GET /api/v1/me, with the SQL statements it ran."""
    with recorded() as seen:
        answer = client.get("/api/v1/me", headers=headers)
    return answer, seen


def _token_reads(statements):
    return [s for s in statements if "FROM api_tokens" in s]


def test_a_known_token_is_not_read_again_and_acts_as_its_user(client, people, token):
    headers = token("grid")
    first, statements = _me(client, headers)
    assert first.status_code == 200 and _token_reads(statements)  # read (and touched)
    again, statements = _me(client, headers)
    assert again.status_code == 200 and _token_reads(statements) == []
    assert again.get_json() == first.get_json()  # the same user, unit, role and rights
    assert again.get_json()["username"] == "grid" and again.get_json()["unit"]


def test_a_read_only_token_stays_read_only_when_kept(client, people, token):
    headers = token("resident", can_write=False)
    _me(client, headers)  # read once: kept from here on
    kept, statements = _me(client, headers)
    assert kept.status_code == 200 and _token_reads(statements) == []
    # The kept copy carries the token's rights (tests/api/test_tokens.py checks them when read).
    refused = client.post("/api/v1/requests", headers=headers, json={"kind": "help", "category": "ELD"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] != "validation_failed"


def _kept():
    return dict(tokens._cache)


def _as_another_process(kept):
    """This process's copies as they were before the change (a second worker's)."""
    tokens._cache.clear()
    tokens._cache.update(kept)


def test_revoking_holds_in_every_process_at_once(client, people):
    row, secret = tokens.create_token(people.grid, utcnow())
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    kept = _kept()
    assert kept, "the token was kept"
    login(client, "grid")
    csrf = {"X-CSRFToken": client.get("/api/v1/me").get_json()["csrf_token"]}
    assert client.delete(f"/api/v1/tokens/{row.id}", headers=csrf).status_code == 204
    _as_another_process(kept)
    answer = client.get("/api/v1/me", headers=bearer(secret))
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthenticated"


def test_a_deactivated_or_changed_user_holds_in_every_process_at_once(client, people):
    _row, secret = tokens.create_token(people.grid, utcnow())
    _row, other = tokens.create_token(people.grid2, utcnow())
    db.session.commit()
    for headers in (bearer(secret), bearer(other)):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    kept = _kept()
    people.grid.name = "新名字"
    db.session.commit()
    _as_another_process(kept)
    assert client.get("/api/v1/me", headers=bearer(secret)).get_json()["name"] == "新名字"
    kept = _kept()
    people.grid2.active = False
    db.session.commit()
    _as_another_process(kept)
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 401


def test_the_admin_page_revoke_and_a_bulk_revoke_hold_at_once(client, people):
    row, secret = tokens.create_token(people.grid, utcnow())
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    kept = _kept()
    login(client, "grid")
    page = client.get("/account/api-tokens")
    gone = client.post(f"/account/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert gone.status_code == 302
    _as_another_process(kept)
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401

    # A bulk UPDATE passes no ORM row events: changed() announces it with the commit.
    _row, second = tokens.create_token(people.grid, utcnow())
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200
    kept = _kept()
    db.session.execute(ApiToken.__table__.update().values(revoked_at=utcnow()))
    tokens.changed()
    db.session.commit()
    _as_another_process(kept)
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 401


def test_an_expired_token_is_refused_though_kept(client, people, frozen):
    now = utcnow()
    _row, secret = tokens.create_token(people.grid, now, days=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    frozen.move_to(now + timedelta(days=1, minutes=1))
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_the_hints_are_written_without_renewing_every_copy(client, people, frozen):
    now = utcnow()
    row, secret = tokens.create_token(people.grid, now)
    db.session.commit()
    client.get("/api/v1/me", headers=bearer(secret))
    before = client.application.extensions["redis"].get(tokens.VERSION_KEY)
    frozen.move_to(now + tokens.TOUCH_EVERY + timedelta(minutes=1))
    answer, statements = _me(client, bearer(secret))
    assert answer.status_code == 200 and _token_reads(statements)  # read again, to be touched
    assert db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == row.id)) > now
    assert client.application.extensions["redis"].get(tokens.VERSION_KEY) == before
    login(client, "grid")  # last_login_at: a hint too
    assert client.application.extensions["redis"].get(tokens.VERSION_KEY) == before
    _answer, statements = _me(client, bearer(secret))
    assert _token_reads(statements) == []


def test_the_version_is_read_in_the_limiters_round_trip(client, people, token):
    headers = token("grid")
    client.get("/api/v1/me", headers=headers)  # kept
    sent = []
    original = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):  # the real call, counted
        sent.append(command)
        return original(self, command, check_health)

    AbstractConnection.send_packed_command = counted
    try:
        answer = client.get("/api/v1/me", headers=headers)
    finally:
        AbstractConnection.send_packed_command = original
    assert answer.status_code == 200
    assert len(sent) == 1  # both API limits and the tokens' version: one script, one trip
    assert int(answer.headers["X-RateLimit-Remaining"]) >= 0
