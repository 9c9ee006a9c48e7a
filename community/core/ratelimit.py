"""The limiter's Redis storage: one round trip per request for all its limits.

Flask-Limiter counts a hit with one script call, then after the view reads the
same counter back (GET, then TTL) for the X-RateLimit-* headers. Here the hit's
script answers the count and the time to live together, and the request keeps
them, so the headers need no further trip. The limits, the counting (fixed
window: INCRBY, EXPIRE on the first hit) and the 429 answers are Flask-Limiter's
own; only where the header figures come from changes: the counter as this
request left it, not as it is a moment later. A key this request did not hit
is read from Redis as before.

A request usually meets several limits (every API call: per caller and per address).
Flask-Limiter hits them one after the other, a round trip each.
CommunityLimiter hits them all first in one script (HIT_ALL), in Flask-Limiter's own
order and stopping after the first one breached, as its loop does; the loop then runs
unchanged and each hit takes its count from that answer. The same script also reads
the keys other code asked to have read with the limits (read_with_limits: the API
tokens' version), so a bearer request talks to Redis once.

Chosen by init_redis(): the storage URI gets SCHEME_PREFIX in front.

It leans on limits' internals (its RedisStorage methods and its incr_expire.lua, which
INCR_EXPIRE_TTL repeats): pyproject.toml pins limits 5.8.x and Flask-Limiter 4.1.x, and
tests/api/test_limit_storage.py fails when an upgrade changes the script or the methods.
"""
import time

from flask import current_app, has_request_context, request
from flask_limiter import Limiter
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

SCHEME_PREFIX = "community+"
_MEMO = "community.limit_counts"  # in the request's WSGI environ: one per request
_AHEAD = "community.limit_hits_ahead"  # counts hit by HIT_ALL, each taken once by incr()
_READ = "community.limit_reads"  # keys read by HIT_ALL: {key: value or None}
_READERS = []  # callables answering a Redis key to read with the limits, or None

# limits' incr_expire.lua, also answering the TTL.
INCR_EXPIRE_TTL = """
local amount = tonumber(ARGV[2])
local current = redis.call("incrby", KEYS[1], amount)
if tonumber(current) == amount then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""

# The fixed-window counting above for each limit in turn (KEYS[1..n]; ARGV: n, 1 to stop
# after the first limit breached, then expiry, amount and limit of each), then a GET of
# each further key. Answers {{count, ttl, count, ttl, ...}, {value, ...}}.
HIT_ALL = """
local n, stop = tonumber(ARGV[1]), ARGV[2] == "1"
local hits, reads = {}, {}
for i = 1, n do
    local expiry, amount = ARGV[3 * i], tonumber(ARGV[3 * i + 1])
    local current = redis.call("incrby", KEYS[i], amount)
    if tonumber(current) == amount then
        redis.call("expire", KEYS[i], expiry)
    end
    hits[#hits + 1] = current
    hits[#hits + 1] = redis.call("ttl", KEYS[i])
    if stop and current > tonumber(ARGV[3 * i + 2]) then
        break
    end
end
for i = n + 1, #KEYS do
    reads[#reads + 1] = redis.call("get", KEYS[i])
end
return {hits, reads}
"""


def read_with_limits(reader) -> None:
    """Register `reader()`: a Redis key to GET in the limits' round trip, or None."""
    if reader not in _READERS:
        _READERS.append(reader)


def read_ahead(key: str):
    """(True, value) if HIT_ALL read `key` for this request, else (False, None)."""
    if not has_request_context():
        return False, None
    reads = request.environ.get(_READ)
    if reads is None or key not in reads:
        return False, None
    return True, reads[key]


class CommunityLimiter(Limiter):
    """Flask-Limiter, with a request's limits counted in one round trip (HIT_ALL)."""

    def _Limiter__evaluate_limits(self, endpoint, limits):
        strategy = self.limiter  # the in-memory fallback's when Redis was found dead
        if type(strategy) is FixedWindowRateLimiter and isinstance(strategy.storage, CountingRedisStorage):
            self._hit_ahead(strategy.storage, endpoint, limits)
        return super()._Limiter__evaluate_limits(endpoint, limits)

    def _hit_ahead(self, storage, endpoint, limits) -> None:
        """What Flask-Limiter's loop will hit, in its order, hit now in one script.

        The loop's own rules: meta limits and conditional deductions (none here) leave
        it all to the loop; exempt limits and limits with an empty key are skipped."""
        if self._meta_limits or any(lim.meta_limits or lim.deduct_when for lim in limits):
            return
        plan = []
        for lim in sorted(limits, key=lambda x: x.limit):
            if lim.is_exempt or lim.method_exempt:
                continue
            args = [lim.key_func(), lim.scope_for(endpoint, request.method)]
            if not all(args):
                continue
            if self._key_prefix:
                args = [self._key_prefix, *args]
            plan.append((lim.limit.key_for(*args), lim.limit.get_expiry(), lim.deduction_amount,
                         lim.limit.amount))
        if len({step[0] for step in plan}) < len(plan):
            return  # one counter hit twice: its answers are the loop's to take in turn
        reads = []
        if current_app.extensions.get("limiter_shares_redis"):  # the keys live in the app's Redis
            done = request.environ.get(_READ, {})  # a second pass (a view's own limits): read once
            reads = [key for key in (reader() for reader in _READERS) if key and key not in done]
        if plan or reads:
            storage.hit_all(plan, reads, stop=self._fail_on_first_breach)


class CountingRedisStorage(RedisStorage):
    STORAGE_SCHEME = [SCHEME_PREFIX + "redis", SCHEME_PREFIX + "rediss", SCHEME_PREFIX + "redis+unix"]

    def __init__(self, uri: str, **options):
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(INCR_EXPIRE_TTL)
        self.lua_hit_all = self.get_connection().register_script(HIT_ALL)

    def hit_all(self, plan, reads, stop: bool) -> None:
        """Count each (key, expiry, amount, limit) of `plan` and GET each key of `reads`, in
        one script; incr() then answers these counts without asking Redis again."""
        args = [len(plan), 1 if stop else 0]
        for _key, expiry, amount, limit in plan:
            args += [expiry, amount, limit]
        hits, values = self.lua_hit_all([self.prefixed_key(p[0]) for p in plan] + list(reads), args)
        now, memo = time.time(), _memo()
        ahead = request.environ.setdefault(_AHEAD, {})
        for (key, _expiry, amount, _limit), count, ttl in zip(plan, hits[0::2], hits[1::2]):
            ahead[key] = (amount, int(count))
            memo[key] = (int(count), max(int(ttl), 0) + now)
        request.environ.setdefault(_READ, {}).update(zip(reads, values))

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        if has_request_context():
            hit = request.environ.get(_AHEAD, {}).pop(key, None)
            if hit is not None and hit[0] == amount:
                return hit[1]
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
