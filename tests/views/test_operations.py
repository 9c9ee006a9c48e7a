"""Running it for a city (issue 25): log lines, request ids, /healthz, /readyz,
/metrics and the trusted proxy."""
import io
import json
import logging
import re
import time

import pytest
import redis
from sqlalchemy import create_engine

from community import trust_proxies
from community.web import ops
from community.core.logs import configure_from_config, configure_logging
from tests.factories import csrf_from


@pytest.fixture
def log_lines(app):
    """What our handler writes, as text lines; the app's own logging set back after."""
    def start(fmt="json"):
        configure_logging("INFO", fmt, stream=stream)
        return lambda: [line for line in stream.getvalue().splitlines() if line]

    stream = io.StringIO()
    yield start
    configure_from_config(app.config)


@pytest.fixture
def behind_proxy(app, monkeypatch):
    """The app as create_app builds it with COMMUNITY_TRUSTED_PROXIES=1."""
    monkeypatch.setitem(app.config, "COMMUNITY_TRUSTED_PROXIES", 1)
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)
    trust_proxies(app)
    return app


# --- log lines ---------------------------------------------------------------------------

def test_a_json_log_line_has_its_fields_and_no_phone_or_id_number(app, log_lines):
    lines = log_lines("json")
    log = logging.getLogger("community.messaging")
    log.info("message to %s: code %s", "13812345678", "482913")
    log.warning("身份证 110101199003077777, tel 0871-6512 3456")
    try:
        raise ValueError("phone 139 1234 5678 in a traceback")
    except ValueError:
        log.exception("failed for %s", "13698765432")
    first, second, third = [json.loads(line) for line in lines()]
    assert set(first) == {"ts", "level", "logger", "request_id", "msg"}
    assert first["level"] == "INFO" and first["logger"] == "community.messaging"
    assert first["request_id"] == "-"  # no request
    assert first["msg"] == "message to 138****5678: code 482913"  # the code stays readable
    assert "110101199003077777" not in second["msg"] and "******************" in second["msg"]
    assert "6512" not in second["msg"]
    assert "13698765432" not in third["msg"] and "139 1234 5678" not in third["exc"]
    assert "ValueError" in third["exc"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", first["ts"])


def test_a_plain_log_line_reads_as_a_sentence(app, log_lines):
    lines = log_lines("plain")
    logging.getLogger("community.messaging").info("message to %s", "13812345678")
    [line] = lines()
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO +\[-\] community\.messaging: "
                    r"message to 138\*\*\*\*5678$", line), line


def test_the_format_follows_the_environment(app):
    assert configure_logging(env="production").formatter.__class__.__name__ == "JsonFormatter"
    assert configure_logging(env="development").formatter.__class__.__name__ == "PlainFormatter"
    with pytest.raises(ValueError, match="plain or json"):
        configure_logging(fmt="xml")
    configure_from_config(app.config)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "community", False)]
    assert len(ours) == 1  # configured again and again (every create_app), never doubled


# --- request ids -------------------------------------------------------------------------

def test_every_answer_has_a_request_id_and_its_log_lines_carry_it(client, areas, log_lines):
    lines = log_lines("json")
    first, second = client.get("/login"), client.get("/login")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]
    access = [json.loads(line) for line in lines() if '"community.access"' in line]
    assert [a["request_id"] for a in access] == ids
    assert access[0]["path"] == "/login" and access[0]["status"] == 200 and access[0]["method"] == "GET"
    assert access[0]["remote_addr"] == "127.0.0.1" and access[0]["ms"] >= 0


def test_a_request_id_from_the_client_is_ignored_without_a_trusted_proxy(client, areas):
    response = client.get("/healthz", headers={"X-Request-ID": "chosen-by-client"})
    assert response.headers["X-Request-ID"] != "chosen-by-client"


def test_the_trusted_proxys_request_id_goes_round_trip(behind_proxy, log_lines):
    lines = log_lines("json")
    client = behind_proxy.test_client()
    response = client.get("/healthz", headers={"X-Request-ID": "0f3c9a5d2b7e4c1a9e8f7d6c5b4a3921"})
    assert response.headers["X-Request-ID"] == "0f3c9a5d2b7e4c1a9e8f7d6c5b4a3921"
    assert json.loads(lines()[-1])["request_id"] == "0f3c9a5d2b7e4c1a9e8f7d6c5b4a3921"
    for bad in ("has spaces in it", "x" * 200, "<script>"):  # not an id: one is made instead
        answered = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", answered)


# --- health and readiness ----------------------------------------------------------------

def test_healthz_and_readyz_answer_without_session_or_cookie(client, areas):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    for response in (health, ready):
        assert "Set-Cookie" not in response.headers and "X-RateLimit-Limit" not in response.headers


def test_readyz_names_redis_when_redis_is_stopped(app, client, monkeypatch):
    monkeypatch.setitem(app.extensions, "redis",
                        redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["failed"] == ["redis"]
    assert response.json["checks"]["database"] == "ok" and response.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200  # the process itself is fine


def test_readyz_names_the_database_when_it_is_stopped(app, client, monkeypatch):
    # A PostgreSQL server that is not running: nothing listens on its port.
    stopped = create_engine("postgresql+psycopg://community@127.0.0.1:1/community",
                            connect_args={"connect_timeout": 1})
    monkeypatch.setattr(ops, "_engine", lambda app: stopped)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["failed"] == ["database"]
    assert response.json["checks"] == {"database": "OperationalError", "redis": "ok"}


def test_readyz_gives_up_on_a_database_that_does_not_answer(app, client, monkeypatch):
    def hung(app):
        time.sleep(1.5)  # a backend that accepted the connection and says nothing

    monkeypatch.setattr(ops, "_check_database", hung)
    monkeypatch.setitem(app.config, "COMMUNITY_READY_TIMEOUT", 0.2)
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 1.0
    assert response.status_code == 503 and response.json["checks"]["database"] == "no answer within 0.2 s"


def test_health_pages_are_never_rate_limited(app, client):
    for _ in range(30):  # a balancer probing every second from one address
        response = client.get("/readyz")
        assert response.status_code == 200 and "X-RateLimit-Limit" not in response.headers


# --- metrics -----------------------------------------------------------------------------

def test_metrics_show_requests_latency_queues_outbox_and_clocks(app, client, areas):
    from community.core.extensions import db
    from community.outbox import emit
    from community.core.timeutil import utcnow
    from workers.jobs import sla_sweep_job, use_app

    client.get("/login")
    client.get("/no-such-page")
    emit("test.metrics", "m1", {}, now=utcnow())
    db.session.commit()
    use_app(app)
    sla_sweep_job()
    body = client.get("/metrics").get_data(as_text=True)
    assert 'community_http_requests_total{endpoint="auth.login",method="GET",status="200"}' in body
    assert 'status="404"' in body
    assert 'community_http_request_seconds_bucket{endpoint="auth.login",le="0.5"}' in body
    assert re.search(r'^community_rq_queue_depth\{queue="default"\} \d', body, re.M)
    assert re.search(r"^community_outbox_backlog 1\.0$", body, re.M)
    assert re.search(r"^community_sla_clocks_due \d", body, re.M)
    assert re.search(r"^community_sla_clocks_overdue \d", body, re.M)
    age = float(re.search(r"^community_sla_last_sweep_age_seconds (\S+)$", body, re.M).group(1))
    assert 0 <= age < 60
    assert "ops.metrics" not in body and "ops.healthz" not in body  # probes are not traffic


def test_metrics_are_refused_outside_the_allowed_networks_without_the_token(app, areas, monkeypatch):
    outsider = app.test_client()
    outsider.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert outsider.get("/metrics").status_code == 403
    monkeypatch.setitem(app.config, "COMMUNITY_METRICS_TOKEN", "s3cret-scrape-token")
    assert outsider.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    allowed = outsider.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert allowed.status_code == 200 and "community_outbox_backlog" in allowed.get_data(as_text=True)
    monkeypatch.setitem(app.config, "COMMUNITY_METRICS_NETWORKS", ["203.0.113.0/24"])
    assert outsider.get("/metrics").status_code == 200
    monkeypatch.setitem(app.config, "COMMUNITY_METRICS_NETWORKS", "127.0.0.1/32, 203.0.113.0/24")  # env file
    assert outsider.get("/metrics").status_code == 200


# --- the trusted proxy -------------------------------------------------------------------

def _post_login(client, name, headers):
    page = client.get("/login", headers=headers)
    return client.post("/login", headers=headers, data={"csrf_token": csrf_from(page), "login": name,
                                                        "password": "wrong-pass-1"})


def test_behind_one_proxy_each_client_has_its_own_limit_and_log_address(behind_proxy, people, monkeypatch,
                                                                       log_lines):
    monkeypatch.setitem(behind_proxy.config, "COMMUNITY_LOGIN_RATE", "3 per minute")
    lines = log_lines("json")
    balancer = behind_proxy.test_client()
    balancer.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # every request comes from the balancer
    first = {"X-Forwarded-For": "198.51.100.7"}
    assert [_post_login(balancer, f"nobody{i}", first).status_code for i in range(4)] == [400, 400, 400, 429]
    other = {"X-Forwarded-For": "198.51.100.8"}
    assert _post_login(balancer, "nobody", other).status_code == 400  # another resident, own count
    addresses = {json.loads(line).get("remote_addr") for line in lines() if '"community.access"' in line}
    assert addresses == {"198.51.100.7", "198.51.100.8"}


def test_without_a_trusted_proxy_a_forwarded_header_changes_nothing(app, people, monkeypatch, log_lines):
    monkeypatch.setitem(app.config, "COMMUNITY_LOGIN_RATE", "3 per minute")
    lines = log_lines("json")
    client = app.test_client()
    statuses = [_post_login(client, f"nobody{i}", {"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                for i in range(4)]
    assert statuses == [400, 400, 400, 429]  # a new spoofed address each time: still one count
    addresses = {json.loads(line).get("remote_addr") for line in lines() if '"community.access"' in line}
    assert addresses == {"127.0.0.1"}
