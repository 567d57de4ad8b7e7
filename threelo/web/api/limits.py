"""Rate limits of the API face: per app and per (app, site) (CONTRACT §5.6).

Limits are read from ``THREELO_API_RATE_LIMIT_APP`` (default 10,000),
``THREELO_API_RATE_LIMIT_SITE`` (per app and site, default 1,000) and
``THREELO_API_RATE_WINDOW`` (seconds, default 60).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from threelo.web.api.errors import ApiError
from threelo.web.common.ratelimit import RateDecision, RateLimiter


@dataclass(frozen=True, slots=True)
class ApiLimits:
    per_app: int = 10_000
    per_app_site: int = 1_000
    window: int = 60
    # Refused bearer tokens per client address and window: token guessing and replaying
    # stolen tokens slow down to this rate (RFC 6819 §5.1.4.2.3; security-catalogue PH-12).
    bad_tokens_per_address: int = 300

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiLimits:
        env = os.environ if env is None else env
        values = {}
        for var, name in (("THREELO_API_RATE_LIMIT_APP", "per_app"),
                          ("THREELO_API_RATE_LIMIT_SITE", "per_app_site"),
                          ("THREELO_API_RATE_WINDOW", "window"),
                          ("THREELO_API_RATE_LIMIT_BAD_TOKENS", "bad_tokens_per_address")):
            raw = env.get(var)
            if raw:
                value = int(raw)
                if value <= 0:
                    raise ValueError(f"{var} must be greater than 0, got {raw!r}")
                values[name] = value
        return cls(**values)


def _bad_token_key(address: str) -> str:
    return f"api:bad-token:{address}"


def check_bad_tokens(limiter: RateLimiter, limits: ApiLimits, address: str) -> None:
    """429 before any verification work once an address has sent too many refused tokens."""
    seen = limiter.peek(_bad_token_key(address), limits.bad_tokens_per_address, limits.window)
    if seen.remaining <= 0:
        retry = RateDecision(False, seen.limit, 0, seen.reset_at, max(1, seen.retry_after))
        raise ApiError(429, "Rate limit exceeded", retry.headers())


def record_bad_token(limiter: RateLimiter, limits: ApiLimits, address: str) -> None:
    limiter.hit(_bad_token_key(address), limits.bad_tokens_per_address, limits.window)


def check_limits(
    limiter: RateLimiter, limits: ApiLimits, client_id: str, cloud_id: str | None
) -> RateDecision:
    """Count the request against its windows; the tightest decision is reported. Raises the
    429 :class:`ApiError` with ``Retry-After`` when any window is full."""
    decisions = [limiter.hit(f"api:app:{client_id}", limits.per_app, limits.window)]
    if cloud_id is not None:
        decisions.append(limiter.hit(f"api:site:{client_id}:{cloud_id}", limits.per_app_site,
                                     limits.window))
    refused = [d for d in decisions if not d.allowed]
    if refused:
        worst = max(refused, key=lambda d: d.retry_after)
        raise ApiError(429, "Rate limit exceeded", worst.headers())
    return min(decisions, key=lambda d: d.remaining)
