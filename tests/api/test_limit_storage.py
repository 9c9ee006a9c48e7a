"""The limiter's storage (community.core.ratelimit) answers the X-RateLimit-* headers
from the hit itself: the same limits, counts, 429s and headers as reading Redis."""
import time

from community.core.extensions import limiter
from community.core.ratelimit import CountingRedisStorage

FILING = {"kind": "help", "category": "ELD", "text": "楼道灯坏了，请尽快修理。"}


def _stored(key):
    storage = limiter.storage
    conn = storage.get_connection()
    return int(conn.get(storage.prefixed_key(key)) or 0), conn.ttl(storage.prefixed_key(key))


def test_the_limiter_uses_the_counting_storage(app):
    assert isinstance(limiter.storage, CountingRedisStorage)


def test_filing_limit_headers_and_429_match_redis(app, client, people, areas, token):
    app.config["COMMUNITY_API_FILING_RATE"] = "3 per hour"
    try:
        headers = token("resident")
        answers = [client.post("/api/v1/requests", json=FILING, headers=headers) for _ in range(4)]
        assert [a.status_code for a in answers] == [201, 201, 201, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
        keys = [k.decode() for k in limiter.storage.get_connection().keys("LIMITS:*file_request*")]
        assert len(keys) == 1
        count, ttl = _stored(keys[0].removeprefix("LIMITS:"))
        assert count == 4 and 3590 < ttl <= 3600  # the refused hit counts too, as before
        reset = int(answers[-1].headers["X-RateLimit-Reset"])
        assert abs(reset - (time.time() + ttl)) <= 2
        assert 3590 <= int(answers[-1].headers["Retry-After"]) <= 3601
        assert answers[-1].get_json()["error"]["code"] == "too_many_requests"
    finally:
        app.config["COMMUNITY_API_FILING_RATE"] = "60 per hour"


def test_outside_a_request_redis_is_read(app):
    storage = limiter.storage
    storage.clear("probe")
    with app.app_context():
        assert storage.incr("probe", 60) == 1
        assert storage.incr("probe", 60) == 2
        assert storage.get("probe") == 2 and 58 <= storage.get_expiry("probe") - time.time() <= 61
    storage.clear("probe")
    assert storage.get("probe") == 0


# Guard for the speed-up (issue 25): community.core.ratelimit repeats limits' counting script
# (incr_expire.lua, with the TTL added to its answer) and relies on how the fixed-window
# strategy uses a storage. pyproject.toml pins limits and Flask-Limiter to the minor
# versions checked here; an upgrade that changes any of it fails these tests, and then
# INCR_EXPIRE_TTL and the overrides are compared again before the pin moves.
LIMITS_INCR_EXPIRE_SHA256 = "52af4d72badc0c8f85f3b4c30097b1a12267d920e0797214118a330a9f52de80"


def test_limits_counting_script_is_the_one_ours_repeats():
    import hashlib
    import re

    from limits.storage.redis import RedisStorage

    from community.core.ratelimit import INCR_EXPIRE_TTL

    theirs = RedisStorage.SCRIPT_INCR_EXPIRE
    theirs = theirs.decode() if isinstance(theirs, bytes) else theirs
    assert hashlib.sha256(theirs.encode()).hexdigest() == LIMITS_INCR_EXPIRE_SHA256, \
        "limits changed incr_expire.lua: compare community.core.ratelimit.INCR_EXPIRE_TTL with it"
    calls = re.findall(r'redis\.call\("(\w+)"', theirs)
    assert calls == ["incrby", "expire"] and re.findall(r'redis\.call\("(\w+)"', INCR_EXPIRE_TTL)[:2] == calls


def test_the_storage_methods_overridden_keep_their_shape():
    import inspect

    from limits.storage.redis import RedisStorage
    from limits.strategies import FixedWindowRateLimiter

    def params(fn):
        return list(inspect.signature(fn).parameters)

    assert params(RedisStorage.incr) == ["self", "key", "expiry", "amount"]
    assert params(RedisStorage.get) == params(RedisStorage.get_expiry) == ["self", "key"]
    assert params(RedisStorage.clear) == ["self", "key"] and params(RedisStorage.reset) == ["self"]
    for used in ("prefixed_key", "get_connection", "initialize_storage"):
        assert callable(getattr(RedisStorage, used, None)), used
    # The fixed window counts with incr and reads its figures back with get and get_expiry:
    # the calls the memo answers. Another way of reading them would bypass it.
    hit = inspect.getsource(FixedWindowRateLimiter.hit)
    stats = inspect.getsource(FixedWindowRateLimiter.get_window_stats)
    assert "self.storage.incr(" in hit
    assert "self.storage.get(" in stats and "self.storage.get_expiry(" in stats


def test_the_pins_match_the_versions_checked():
    from importlib.metadata import version

    assert version("limits").startswith("5.8.") and version("Flask-Limiter").startswith("4.1.")


def _limits_run(app, client, headers):
    """Five GETs against a per-caller limit of 3: statuses, the headers, the counters."""
    app.config["COMMUNITY_API_RATE"] = "3 per minute"
    try:
        answers = [client.get("/api/v1/me", headers=headers) for _ in range(5)]
    finally:
        app.config["COMMUNITY_API_RATE"] = "120 per minute"
    conn = limiter.storage.get_connection()
    counters = sorted((k.decode().split("/")[1:3], int(conn.get(k))) for k in conn.keys("LIMITS:*"))
    for key in conn.keys("LIMITS:*"):
        conn.delete(key)
    return ([a.status_code for a in answers],
            [(a.headers.get("X-RateLimit-Limit"), a.headers.get("X-RateLimit-Remaining")) for a in answers],
            counters)


def test_one_round_trip_counts_as_flask_limiter_does(app, client, people, token, monkeypatch):
    """The same requests with every limit hit in one script, and with Flask-Limiter hitting
    them one by one (the script switched off): the same 429s, headers and counters; the
    per-address limit is not counted past the per-caller one that refused."""
    from community.core.ratelimit import CommunityLimiter

    headers = token("grid")
    ours = _limits_run(app, client, headers)
    monkeypatch.setattr(CommunityLimiter, "_hit_ahead", lambda *args: None)
    theirs = _limits_run(app, client, headers)
    assert ours == theirs
    statuses, header_pairs, counters = ours
    assert statuses == [200, 200, 200, 429, 429]
    assert header_pairs[:3] == [("3", "2"), ("3", "1"), ("3", "0")]
    assert sorted(count for _key, count in counters) == [3, 5]
