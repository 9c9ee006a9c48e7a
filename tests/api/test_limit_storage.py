"""The limiter's storage (community.ratelimit) answers the X-RateLimit-* headers
from the hit itself: the same limits, counts, 429s and headers as reading Redis."""
import time

from community.extensions import limiter
from community.ratelimit import CountingRedisStorage

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
