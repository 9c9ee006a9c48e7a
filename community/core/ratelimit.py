"""The limiter's Redis storage: one round trip per limit hit instead of three.

Flask-Limiter counts a hit with one script call, then after the view reads the
same counter back (GET, then TTL) for the X-RateLimit-* headers. Here the hit's
script answers the count and the time to live together, and the request keeps
them, so the headers need no further trip. The limits, the counting (fixed
window: INCRBY, EXPIRE on the first hit) and the 429 answers are Flask-Limiter's
own; only where the header figures come from changes: the counter as this
request left it, not as it is a moment later. A key this request did not hit
is read from Redis as before.

Chosen by init_redis(): the storage URI gets SCHEME_PREFIX in front.

It leans on limits' internals (its RedisStorage methods and its incr_expire.lua, which
INCR_EXPIRE_TTL repeats): pyproject.toml pins limits 5.8.x and Flask-Limiter 4.1.x, and
tests/api/test_limit_storage.py fails when an upgrade changes the script or the methods.
"""
import time

from flask import has_request_context, request
from limits.storage import RedisStorage

SCHEME_PREFIX = "community+"
_MEMO = "community.limit_counts"  # in the request's WSGI environ: one per request

# limits' incr_expire.lua, also answering the TTL.
INCR_EXPIRE_TTL = """
local amount = tonumber(ARGV[2])
local current = redis.call("incrby", KEYS[1], amount)
if tonumber(current) == amount then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""


class CountingRedisStorage(RedisStorage):
    STORAGE_SCHEME = [SCHEME_PREFIX + "redis", SCHEME_PREFIX + "rediss", SCHEME_PREFIX + "redis+unix"]

    def __init__(self, uri: str, **options):
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(INCR_EXPIRE_TTL)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        count, ttl = self.lua_incr_expire_ttl([self.prefixed_key(key)], [expiry, amount])
        memo = _memo()
        if memo is not None:
            memo[key] = (int(count), max(int(ttl), 0) + time.time())
        return int(count)

    def get(self, key: str) -> int:
        memo = _memo()
        if memo is not None and key in memo:
            return memo[key][0]
        return super().get(key)

    def get_expiry(self, key: str) -> float:
        memo = _memo()
        if memo is not None and key in memo:
            return memo[key][1]
        return super().get_expiry(key)

    def clear(self, key: str) -> None:
        memo = _memo()
        if memo is not None:
            memo.pop(key, None)
        super().clear(key)

    def reset(self):
        memo = _memo()
        if memo is not None:
            memo.clear()
        return super().reset()


def _memo() -> dict | None:
    if not has_request_context():
        return None
    return request.environ.setdefault(_MEMO, {})
