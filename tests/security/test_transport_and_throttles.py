"""Security headers, session cookie flags, throttled look-ups (in Redis), secrets
kept hashed, and tracking codes too many to guess."""
import hashlib
import math

import pytest
from sqlalchemy import select, text

from community.api.models import ApiToken
from community.api.tokens import create_token
from community.core.config import Config, _secure_cookies
from community.core.extensions import db
from community.open311.keys import create_client
from community.open311.models import Open311Client
from community.tickets.services import CODE_ALPHABET, CODE_LENGTH, new_tracking_code
from community.core.timeutil import utcnow
from tests.factories import PASSWORD, csrf_from, file_ticket, login


@pytest.mark.parametrize("path", ["/login", "/api/v1/categories", "/no-such-page",
                                  "/open311/v2/services.json", "/static/css/site.css"])
def test_every_answer_carries_the_security_headers(client, areas, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    for name in ("default-src", "script-src", "style-src", "base-uri", "form-action"):
        assert directives[name] == "'self'", (name, csp)
    assert directives["img-src"] == "'self' data:"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp and "http" not in csp and "*" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_load_no_script_or_style_from_elsewhere(client, people):
    """What the CSP allows is what the pages use: nothing inline, nothing remote."""
    login(client, "grid")
    for path in ("/", "/work", "/login", "/t"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>" not in body and "<style" not in body and " style=" not in body, path
        assert 'src="http' not in body and 'href="http' not in body.replace(
            'href="https://www.', 'href="x'), path


def test_session_cookie_is_httponly_lax_and_secure_in_production(client, people, app, monkeypatch):
    response = login(client, "grid")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain http on loopback
    assert "Strict-Transport-Security" not in response.headers

    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    other = app.test_client()
    response = login(other, "grid", PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("env,override,secure", [
    ("development", None, False), ("production", None, True),
    ("production", False, False), ("development", True, True)])
def test_secure_cookies_follow_the_environment(env, override, secure):
    config = {"COMMUNITY_ENV": env, "COMMUNITY_SECURE_COOKIES": override}
    _secure_cookies(config)
    assert config["SESSION_COOKIE_SECURE"] is secure and config["REMEMBER_COOKIE_SECURE"] is secure
    assert Config.SESSION_COOKIE_HTTPONLY and Config.SESSION_COOKIE_SAMESITE == "Lax"


def _limiter_keys(app):
    return [k for k in app.extensions["redis"].keys("LIMITS*")]


def _expire_windows(app):
    """The minute passes: Redis drops the window's counters, as it would on its own."""
    redis = app.extensions["redis"]
    keys = _limiter_keys(app)
    assert keys and all(0 < redis.ttl(k) <= 60 for k in keys)  # windows of one minute
    for key in keys:
        redis.expire(key, 0)


def post_login(client, name, password="wrong-pass-1"):
    return client.post("/login", data={"csrf_token": csrf_from(client.get("/login")),
                                       "login": name, "password": password})


def test_login_is_throttled_in_redis_and_the_window_resets(client, people, app):
    limit = int(app.config["COMMUNITY_LOGIN_RATE"].split()[0])
    statuses = [post_login(client, f"nobody{i}").status_code for i in range(limit + 1)]
    assert statuses == [400] * limit + [429]
    refused = post_login(client, "grid", PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
    assert _limiter_keys(app)  # kept in Redis: every web process shares the count
    _expire_windows(app)
    assert post_login(client, "grid", PASSWORD).status_code == 302


def test_tracking_lookups_are_throttled_and_the_window_resets(client, people, areas, app, frozen):
    ticket = file_ticket(people, areas)
    limit = int(app.config["COMMUNITY_TRACKING_RATE"].split()[0])
    guesses = [client.get(f"/t/GUESS{i:011d}").status_code for i in range(limit)]
    assert guesses == [404] * limit
    assert client.get(f"/t/{ticket.tracking_code}").status_code == 429  # even the right code
    _expire_windows(app)
    assert client.get(f"/t/{ticket.tracking_code}").status_code == 200


def test_api_tokens_and_open311_keys_are_kept_hashed(people, app):
    row, secret = create_token(people.grid, utcnow(), name="ci")
    client, key = create_client("civic-app", utcnow())
    db.session.commit()
    assert len(secret) >= 40 and row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    for table in ("api_tokens", "open311_clients"):
        dump = " ".join(str(v) for r in db.session.execute(text(f"SELECT * FROM {table}")) for v in r)
        assert secret not in dump and key not in dump
    assert db.session.scalar(select(ApiToken.prefix)) == secret[:10]  # enough to recognise it
    assert db.session.scalar(select(Open311Client.prefix)) == key[:len(client.prefix)]
    assert people.grid.password_hash.startswith("$argon2")


def test_tracking_codes_carry_at_least_80_random_bits(people, areas):
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) >= 80
    codes = {new_tracking_code() for _ in range(500)}
    assert len(codes) == 500 and all(len(c) == CODE_LENGTH for c in codes)
    assert set("".join(codes)) == set(CODE_ALPHABET)  # every symbol is used: no wasted bits
    ticket = file_ticket(people, areas)
    assert len(ticket.tracking_code) == CODE_LENGTH
