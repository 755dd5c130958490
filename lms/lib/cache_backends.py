"""A Redis cache that degrades instead of failing when Redis is unreachable.

Lectern uses the cache for speed (page cache, sessions read through the cache) and for
allauth's rate-limit counters. When Redis goes away, reads miss and writes are dropped
so pages keep working (sessions fall back to the database); everything that must not run
without its rate limits (sign-in, codes, emails: accounts.middleware) asks
``cache_is_up()`` and refuses (fails closed).

A Redis that drops packets (a dead host, a firewall) costs a whole connect timeout per
call, and a page makes several. So after a failure a circuit breaker leaves Redis alone
for ``DOWN_SECONDS`` (an ``OPTIONS`` entry, default 5): calls miss or do nothing at once
and ``cache_is_up()`` answers False without a network call. Then one call probes Redis;
if it answers, the cache is used again, otherwise the pause starts over. The breaker is
per process and per Redis address, shared by the process's threads.
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)
DOWN_SECONDS = 5.0


class CircuitBreaker:
    """Whether calls to one Redis may go out: closed (yes), open (no, until the pause
    ends), then one probe."""

    def __init__(self, *, location: str, seconds: float):
        self.location = location
        self.seconds = seconds
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: closed

    def allows_a_call(self) -> bool:
        if self._open_until is None:  # the usual case, no lock needed
            return True
        with self._lock:
            if self._open_until is None:
                return True
            now = time.monotonic()
            if now < self._open_until:
                return False
            # This caller probes; the others keep skipping Redis until it has answered.
            self._open_until = now + self.seconds
            return True

    def failed(self, operation: str) -> None:
        with self._lock:
            was_closed = self._open_until is None
            self._open_until = time.monotonic() + self.seconds
        if was_closed:
            logger.error(
                "Cache unreachable (%s): degrading to no cache, next try in %s s",
                operation,
                self.seconds,
            )

    def succeeded(self) -> None:
        if self._open_until is None:
            return
        with self._lock:
            was_open, self._open_until = self._open_until is not None, None
        if was_open:
            logger.warning("Cache reachable again")


_breakers: dict[tuple[str, float], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, seconds: float) -> CircuitBreaker:
    """The process's breaker for this Redis (Django builds a cache object per thread)."""
    with _breakers_lock:
        key = (location, seconds)
        if key not in _breakers:
            _breakers[key] = CircuitBreaker(location=location, seconds=seconds)
        return _breakers[key]


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one ``redis.Redis`` per connection pool.

    Django builds a new ``redis.Redis`` for every operation, and each one sets up its
    ~170 response callbacks: about 0.15 ms of Python per cache call, as much as the
    round trip itself. A ``redis.Redis`` is thread-safe and borrows connections from
    its pool per command, so one per pool is enough.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        seconds = float(options.pop("DOWN_SECONDS", DOWN_SECONDS))  # not a redis-py option
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusingRedisCacheClient
        self._breaker = breaker_for(str(server), seconds)

    def _guard(self, operation: str, default, call):
        if not self._breaker.allows_a_call():
            return default
        try:
            result = call()
        except FAILURES:
            self._breaker.failed(operation)
            return default
        self._breaker.succeeded()
        return result

    def get(self, key, default=None, version=None):
        return self._guard(
            "get", default, lambda: super(DegradingRedisCache, self).get(key, default, version)
        )

    def get_many(self, keys, version=None):
        return self._guard(
            "get_many", {}, lambda: super(DegradingRedisCache, self).get_many(keys, version)
        )

    def set(self, key, value, timeout=None, version=None):
        return self._guard(
            "set", None, lambda: super(DegradingRedisCache, self).set(key, value, timeout, version)
        )

    def set_many(self, data, timeout=None, version=None):
        return self._guard(
            "set_many",
            list(data),
            lambda: super(DegradingRedisCache, self).set_many(data, timeout, version),
        )

    def add(self, key, value, timeout=None, version=None):
        return self._guard(
            "add", False, lambda: super(DegradingRedisCache, self).add(key, value, timeout, version)
        )

    def delete(self, key, version=None):
        return self._guard(
            "delete", False, lambda: super(DegradingRedisCache, self).delete(key, version)
        )

    def incr(self, key, delta=1, version=None):
        unavailable = object()
        result = self._guard(
            "incr",
            unavailable,
            lambda: super(DegradingRedisCache, self).incr(key, delta, version),
        )
        if result is unavailable:
            raise ValueError("cache unavailable")  # what a missing key raises
        return result

    def has_key(self, key, version=None):
        return self._guard(
            "has_key", False, lambda: super(DegradingRedisCache, self).has_key(key, version)
        )

    def delete_many(self, keys, version=None):
        return self._guard(
            "delete_many", None, lambda: super(DegradingRedisCache, self).delete_many(keys, version)
        )

    def clear(self):
        return self._guard("clear", False, lambda: super(DegradingRedisCache, self).clear())

    def touch(self, key, timeout=None, version=None):
        return self._guard(
            "touch", False, lambda: super(DegradingRedisCache, self).touch(key, timeout, version)
        )


def cache_is_up() -> bool:
    """Whether the default cache answers right now: a real round trip, or with Redis in
    its pause after a failure, False at once."""
    from django.core.cache import cache

    probe = "lectern:cache-probe"
    cache.set(probe, "1", 5)
    return cache.get(probe) == "1"
