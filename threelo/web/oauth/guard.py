"""Throttling at the client-authenticated endpoints (RFC 6819 §5.1.4.2.3, §4.4.1.3).

Failed requests are counted per client and address: code guessing and secret guessing hit
429 after a threshold, while other clients and addresses carry on. All requests of one client
are also counted against a generous per-client limit (CONTRACT §5.6).
"""

from __future__ import annotations

import math
import time

from starlette.requests import Request
from starlette.responses import JSONResponse

from threelo.web.common.forms import client_address
from threelo.web.common.ratelimit import RateDecision, RateLimiter
from threelo.web.oauth.responses import json_answer

FAILURE_LIMIT = 50
FAILURE_WINDOW = 60
CLIENT_LIMIT = 200_000
CLIENT_WINDOW = 60


def _failure_key(request: Request, client_id: str) -> str:
    # The same notion of "address" as sign-in and the API face (THREELO_TRUST_FORWARDED_FOR).
    return f"oauth-fail:{client_id[:128]}:{client_address(request)}"


def throttled(limiter: RateLimiter, request: Request, client_id: str) -> JSONResponse | None:
    failures = limiter.peek(_failure_key(request, client_id), FAILURE_LIMIT, FAILURE_WINDOW)
    if failures.remaining <= 0:
        wait = max(1, math.ceil(failures.reset_at - time.time()))
        return too_many(RateDecision(False, failures.limit, 0, failures.reset_at, wait))
    overall = limiter.hit(f"oauth-client:{client_id[:128]}", CLIENT_LIMIT, CLIENT_WINDOW)
    return None if overall.allowed else too_many(overall)


def record_failure(limiter: RateLimiter, request: Request, client_id: str) -> None:
    limiter.hit(_failure_key(request, client_id), FAILURE_LIMIT, FAILURE_WINDOW)


def too_many(decision: RateDecision) -> JSONResponse:
    return json_answer(
        {"error": "slow_down", "error_description": "Too many requests; retry later"},
        429,
        decision.headers(),
    )
