"""API tokens: hashed, revocable, expiring, read-only; the CLIs; session writes need CSRF."""
from datetime import timedelta

from sqlalchemy import select

from community.api.models import ApiToken
from community.api.tokens import create_token, hash_secret
from community.core.extensions import db
from community.open311.models import Open311Client
from community.core.timeutil import utcnow
from tests.factories import csrf_from, login

from .conftest import bearer


def test_cli_prints_only_the_secret_last_and_keeps_its_hash(app, people):
    result = app.test_cli_runner().invoke(args=["api", "tokens", "create", "--user", "grid"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("cst_") and len(secret) > 40
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash == hash_secret(secret) and secret not in (row.token_hash, row.prefix)
    client = app.test_client()
    assert client.get("/api/v1/me", headers=bearer(secret)).get_json()["username"] == "grid"

    listed = app.test_cli_runner().invoke(args=["api", "tokens", "list", "--user", "grid"])
    assert f"{row.id}\t{row.prefix}…\trw\tactive" in listed.output
    revoked = app.test_cli_runner().invoke(args=["api", "tokens", "revoke", str(row.id)])
    assert revoked.exit_code == 0
    answer = client.get("/api/v1/me", headers=bearer(secret))
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthenticated"


def test_cli_takes_a_residents_phone_and_refuses_unknown_users(app, people):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api", "tokens", "create", "--user", "13800000001", "--read-only"])
    assert result.exit_code == 0 and result.output.strip().splitlines()[-1].startswith("cst_")
    assert runner.invoke(args=["api", "tokens", "create", "--user", "nobody"]).exit_code != 0


def test_open311_key_cli(app, areas):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["open311", "keys", "create", "--name", "12345 hotline"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("o311_")
    client = db.session.scalar(select(Open311Client))
    assert client.key_hash != key and key not in client.prefix + client.key_hash
    assert runner.invoke(args=["open311", "keys", "create", "--name", "12345 hotline"]).exit_code != 0
    assert "active" in runner.invoke(args=["open311", "keys", "list"]).output
    assert runner.invoke(args=["open311", "keys", "revoke", "--name", "12345 hotline"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["open311", "keys", "list"]).output


def test_bad_expired_and_inactive_credentials_are_401(client, people):
    for header in ({"Authorization": "Basic abc"}, {"Authorization": "Bearer"},
                   bearer("cst_not-a-real-token"), bearer("x" * 500)):
        answer = client.get("/api/v1/requests", headers=header)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    now = utcnow()
    _row, expired = create_token(people.grid, now - timedelta(days=10), days=1)
    _row, inactive = create_token(people.grid2, now)
    people.grid2.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(expired)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(inactive)).status_code == 401


def test_a_bad_token_never_falls_back_to_the_session(client, people):
    login(client, "grid")
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers=bearer("cst_wrong")).status_code == 401


def test_read_only_tokens_read_but_do_not_write(client, people, token):
    headers = token("resident", can_write=False)
    assert client.get("/api/v1/requests", headers=headers).status_code == 200
    answer = client.post("/api/v1/requests", headers=headers,
                         json={"kind": "help", "category": "ELD", "text": "x"})
    assert answer.status_code == 403


def test_last_used_is_recorded(client, people, token):
    headers = token("grid")
    client.get("/api/v1/me", headers=headers)
    assert db.session.scalar(select(ApiToken)).last_used_at is not None


def _session_csrf(client):
    return client.get("/api/v1/me").get_json()["csrf_token"]


def test_session_writes_need_the_csrf_header(client, people):
    login(client, "13800000001")
    filing = {"kind": "help", "category": "ELD", "text": "楼道灯坏了"}
    refused = client.post("/api/v1/requests", json=filing)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"
    answer = client.post("/api/v1/requests", json=filing,
                         headers={"X-CSRFToken": _session_csrf(client)})
    assert answer.status_code == 201


def test_tokens_are_minted_through_a_session_not_by_tokens(client, people, token):
    login(client, "grid")
    csrf = {"X-CSRFToken": _session_csrf(client)}
    made = client.post("/api/v1/tokens", json={"name": "热线对接", "days": 30}, headers=csrf)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["user"] == "grid" and body["expires_at"] and body["secret"].startswith("cst_")
    assert client.get("/api/v1/me", headers=bearer(body["secret"])).get_json()["auth"] == "token"
    minted = client.post("/api/v1/tokens", json={}, headers=bearer(body["secret"]))
    assert minted.status_code == 403
    listed = client.get("/api/v1/tokens", headers=bearer(body["secret"])).get_json()
    assert [t["id"] for t in listed] == [body["id"]] and "secret" not in listed[0]
    # someone else's token cannot be seen or revoked
    assert client.get("/api/v1/tokens?user=grid2", headers=csrf).status_code == 403
    other = token("grid2")
    other_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == people.grid2.id))
    assert client.delete(f"/api/v1/tokens/{other_id}", headers=csrf).status_code == 404
    # a token may revoke itself
    assert client.delete(f"/api/v1/tokens/{body['id']}",
                         headers=bearer(body["secret"])).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(body["secret"])).status_code == 401
    assert client.get("/api/v1/me", headers=other).status_code == 200


def test_the_admin_makes_tokens_for_others(client, people):
    login(client, "admin")
    csrf = {"X-CSRFToken": _session_csrf(client)}
    made = client.post("/api/v1/tokens", json={"user": "13800000001", "can_write": False},
                       headers=csrf)
    assert made.status_code == 201 and made.get_json()["can_write"] is False
    me = client.get("/api/v1/me", headers=bearer(made.get_json()["secret"])).get_json()
    assert me["role"] == "resident" and me["can_write"] is False
    assert client.post("/api/v1/tokens", json={"user": "nobody"}, headers=csrf).status_code == 422
    assert len(client.get("/api/v1/tokens?user=13800000001").get_json()) == 1


def test_the_token_page_shows_a_new_secret_once_and_revokes(client, people):
    login(client, "community")
    page = client.get("/account/api-tokens")
    assert page.status_code == 200
    made = client.post("/account/api-tokens", data={"name": "大屏", "read_only": "y",
                                                    "csrf_token": csrf_from(page)})
    body = made.get_data(as_text=True)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    row = db.session.scalar(select(ApiToken))
    assert row.can_write is False and row.name == "大屏"
    secret = body.split('id="new-token">')[1].split("<")[0]
    assert hash_secret(secret) == row.token_hash
    assert secret not in client.get("/account/api-tokens").get_data(as_text=True)
    page = client.get("/account/api-tokens")
    gone = client.post(f"/account/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert gone.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None


def test_the_docs_page_renders_the_generated_document(client):
    page = client.get("/api/v1/docs")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "POST /api/v1/requests" in body and "TicketOut" in body
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/requests/{code}/accept" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
