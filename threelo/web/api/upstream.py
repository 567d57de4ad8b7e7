"""Forwarding to external product services with httpx (CONTRACT §5.3).

Only an allow-list of caller headers travels upstream; identity goes as a short-lived signed
assertion the service verifies against the JWKS (RFC 9700 §4.13: a proxy sets security-relevant
headers itself and drops the caller's copies — GW-06). Connect failures answer 502, timeouts
504, with the whole exchange bounded by the product's timeout; bodies are capped.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import anyio
import httpx
from starlette.responses import Response

from threelo.core.gateway import ProductService
from threelo.web.api.errors import ApiError

MAX_RESPONSE = 10 * 1024 * 1024
FORWARDED_REQUEST_HEADERS = frozenset({
    "accept", "accept-language", "content-type", "user-agent", "if-match", "if-none-match",
    "if-modified-since", "if-unmodified-since", "x-atlassian-token",
})
RETURNED_RESPONSE_HEADERS = frozenset({
    "content-type", "content-language", "cache-control", "etag", "last-modified", "location",
    "retry-after", "vary",
})
_TLS = ssl.create_default_context()


def request_headers(inbound: Mapping[str, str], identity: Mapping[str, str]) -> dict[str, str]:
    out = {k.lower(): v for k, v in inbound.items() if k.lower() in FORWARDED_REQUEST_HEADERS}
    out.update(identity)
    return out


def _response_headers(
    headers: httpx.Headers, upstream: str, public_base: str
) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() not in RETURNED_RESPONSE_HEADERS:
            continue
        if name.lower() == "location":  # never reveal the internal host (GW-07)
            if not value.startswith(upstream + "/"):
                continue
            value = public_base + value[len(upstream):]
        out[name] = value
    return out


async def forward(
    service: ProductService,
    *,
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    public_base: str,
) -> Response:
    try:
        with anyio.fail_after(service.timeout):
            return await _exchange(service, method, path_and_query, headers, body, public_base)
    except (TimeoutError, httpx.TimeoutException):
        raise ApiError(504, "Gateway Timeout") from None
    except httpx.HTTPError:
        raise ApiError(502, "Bad Gateway") from None


async def _exchange(
    service: ProductService,
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    public_base: str,
) -> Response:
    timeout = httpx.Timeout(service.timeout)
    async with httpx.AsyncClient(timeout=timeout, verify=_TLS, trust_env=False,
                                 follow_redirects=False) as client:
        url = service.upstream + path_and_query
        async with client.stream(method, url, headers=dict(headers), content=body) as upstream:
            chunks: list[bytes] = []
            size = 0
            async for chunk in upstream.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE:
                    raise ApiError(502, "Bad Gateway")
                chunks.append(chunk)
            return Response(
                b"".join(chunks),
                status_code=upstream.status_code,
                headers=_response_headers(upstream.headers, service.upstream, public_base),
            )
