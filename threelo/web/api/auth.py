"""Authenticating an API request: bearer token → verified :class:`AccessContext`, counted
against the rate limits, in one hop off the event loop (the store and limiter are blocking)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from threelo.core.access import AccessContext, verify_access_token, verify_cached
from threelo.core.errors import InvalidToken
from threelo.web.api.bearer import bearer_token
from threelo.web.api.errors import ApiError, invalid_token
from threelo.web.api.limits import ApiLimits, check_bad_tokens, check_limits, record_bad_token
from threelo.web.common.forms import address_of
from threelo.web.common.offload import run_store
from threelo.web.common.ratelimit import MemoryRateLimiter, RateDecision
from threelo.web.context import WebContext


@dataclass(frozen=True, slots=True)
class Authenticated:
    access: AccessContext
    rate: RateDecision


async def authenticate(
    ctx: WebContext,
    limits: ApiLimits,
    request: Request,
    *,
    body: bytes = b"",
    cloud_id: str | None = None,
) -> Authenticated:
    token = bearer_token(request, body)
    address = address_of(request, trust_forwarded_for=ctx.settings.trust_forwarded_for)
    check_bad_tokens(ctx.limiter, limits, address)

    def refused() -> ApiError:
        record_bad_token(ctx.limiter, limits, address)
        return invalid_token()

    if isinstance(ctx.limiter, MemoryRateLimiter):
        # A token seen in the last seconds is judged from memory alone: no thread hop.
        try:
            cached = verify_cached(ctx.platform, token)
        except InvalidToken:
            raise refused() from None
        if cached is not None:
            return Authenticated(
                cached, check_limits(ctx.limiter, limits, cached.app.client_id, cloud_id)
            )

    def work() -> Authenticated:
        try:
            access = verify_access_token(ctx.platform, token)
        except InvalidToken:
            raise refused() from None
        rate = check_limits(ctx.limiter, limits, access.app.client_id, cloud_id)
        return Authenticated(access, rate)

    return await run_store(ctx, work)


MAX_BODY = 10 * 1024 * 1024


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refused past ``limit`` bytes (413) without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "Request Entity Too Large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "Request Entity Too Large")
        chunks.append(chunk)
    return b"".join(chunks)
