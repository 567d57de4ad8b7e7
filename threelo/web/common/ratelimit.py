"""Rate limits: a fixed-window counter per key, in-process by default.

CONTRACT §5.6: over the limit → 429 with ``Retry-After``, ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol


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

    def __init__(self, now: object = time.time) -> None:
        self._now = now  # type: ignore[assignment]
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def _decision(self, key: str, limit: int, window: int, add: int) -> RateDecision:
        now: float = self._now()  # type: ignore[operator]
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
