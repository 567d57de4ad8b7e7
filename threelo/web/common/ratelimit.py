"""Rate limits: a fixed-window counter per key, in-process by default.

CONTRACT §5.6: over the limit → 429 with ``Retry-After``, ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

_log = logging.getLogger("threelo.ratelimit")


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the window ends
    retry_after: int  # seconds; 0 when allowed

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, window: int) -> RateDecision: ...
    def peek(self, key: str, limit: int, window: int) -> RateDecision: ...
    def reset(self, key: str) -> None: ...


class MemoryRateLimiter:
    """Fixed windows kept in a dict; old windows are dropped as they are met."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def _decision(self, key: str, limit: int, window: int, add: int) -> RateDecision:
        now = self._now()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now >= start + window:
                start, count = now, 0
            count += add
            if add:
                self._windows[key] = (start, count)
                if len(self._windows) > 100_000:
                    self._sweep(now, window)
        reset_at = start + window
        allowed = count <= limit
        return RateDecision(
            allowed=allowed,
            limit=limit,
            remaining=max(0, limit - count),
            reset_at=reset_at,
            retry_after=0 if allowed else max(1, math.ceil(reset_at - now)),
        )

    def _sweep(self, now: float, window: int) -> None:
        for k, (start, _) in list(self._windows.items()):
            if now >= start + window:
                del self._windows[k]

    def hit(self, key: str, limit: int, window: int) -> RateDecision:
        return self._decision(key, limit, window, 1)

    def peek(self, key: str, limit: int, window: int) -> RateDecision:
        return self._decision(key, limit, window, 0)

    def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


# KEYS[1] = counter key; ARGV[1] = increment (0 or 1), ARGV[2] = window in milliseconds.
# INCRBY and PEXPIRE run as one atomic step, so a window always ends (no immortal counter).
_HIT_SCRIPT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  if count == 0 then
    redis.call('DEL', KEYS[1])
    ttl = tonumber(ARGV[2])
  else
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
end
return {count, ttl}
"""


class RedisRateLimiter:
    """Fixed windows shared by every process through Redis (CONTRACT §1: many processes).

    When Redis cannot be reached the request is allowed (fail open): a limiter outage must not
    take the API down; the failure is logged once per occurrence.
    """

    def __init__(self, url: str, *, prefix: str = "threelo:rl:", timeout: float = 0.5) -> None:
        import redis

        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._prefix = prefix
        self._script = self._client.register_script(_HIT_SCRIPT)

    def _decision(self, key: str, limit: int, window: int, add: int) -> RateDecision:
        import redis

        now = time.time()
        try:
            count, ttl_ms = self._script(keys=[self._prefix + key], args=[add, window * 1000])
        except redis.RedisError:
            _log.warning("rate limiter: Redis unavailable, allowing the request")
            return RateDecision(True, limit, limit, now + window, 0)
        count, ttl = int(count), max(0, int(ttl_ms)) / 1000
        allowed = count <= limit
        return RateDecision(
            allowed=allowed,
            limit=limit,
            remaining=max(0, limit - count),
            reset_at=now + ttl,
            retry_after=0 if allowed else max(1, math.ceil(ttl)),
        )

    def hit(self, key: str, limit: int, window: int) -> RateDecision:
        return self._decision(key, limit, window, 1)

    def peek(self, key: str, limit: int, window: int) -> RateDecision:
        return self._decision(key, limit, window, 0)

    def reset(self, key: str) -> None:
        import redis

        try:
            self._client.delete(self._prefix + key)
        except redis.RedisError:
            _log.warning("rate limiter: Redis unavailable, could not reset %s", key)

    def close(self) -> None:
        self._client.close()


def limiter_for(redis_url: str) -> RateLimiter:
    """Redis when ``THREELO_REDIS_URL`` is set, else in-process windows."""
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
