"""The gateway route ``/ex/{product}/{cloud_id}/{path}`` (CONTRACT §5.3).

Order: the raw path is checked (400) before anything else, then the token (401), the rate
limits (429), the product, route, scope and site (404 / 401 / 404, see
:func:`threelo.core.gateway.decide`), and only then is the product called — with exactly the
path that was checked.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from threelo.core.access import AccessContext
from threelo.core.gateway import (
    BUILTIN,
    GatewayDecision,
    GatewayDenied,
    GatewayTarget,
    assertion_claims,
    decide,
    parse_target,
)
from threelo.products import Caller, ProductRequest
from threelo.web.api import upstream
from threelo.web.api.auth import authenticate, read_body
from threelo.web.api.errors import ApiError, scope_mismatch
from threelo.web.api.face import ApiFace
from threelo.web.common.offload import run_store

ASSERTION_TYPE = "threelo-gateway+jwt"


def raw_path(request: Request) -> str:
    """The request target's path as sent: never the decoded ``scope["path"]``."""
    raw = request.scope.get("raw_path")
    if not isinstance(raw, bytes | bytearray):
        raise ApiError(400, "Bad Request")
    return bytes(raw).decode("latin-1").split("?", 1)[0]


def _target(request: Request) -> GatewayTarget:
    try:
        return parse_target(raw_path(request))
    except GatewayDenied as exc:
        raise ApiError(exc.status, exc.message) from None


def _decide(face: ApiFace, access: AccessContext, target: GatewayTarget, method: str
            ) -> GatewayDecision:
    try:
        return decide(face.registry, access, target, method)
    except GatewayDenied as exc:
        if exc.category:
            raise scope_mismatch() from None
        raise ApiError(exc.status, exc.message) from None


def gateway(face: ApiFace) -> Any:
    async def handler(request: Request) -> Response:
        target = _target(request)
        body = await read_body(request)
        auth = await authenticate(face.ctx, face.limits, request, body=body,
                                  cloud_id=target.cloud_id)
        decision = _decide(face, auth.access, target, request.method)
        if decision.service.upstream == BUILTIN:
            response = await _builtin(face, auth.access, decision, request, body)
        else:
            response = await _external(face, auth.access, decision, request, body)
        for name, value in auth.rate.headers().items():
            response.headers[name] = value
        return response

    return face.endpoint(handler)


def _public_base(face: ApiFace, target: GatewayTarget) -> str:
    return f"{face.ctx.settings.api_base}/ex/{target.product}/{target.cloud_id}"


def _caller(access: AccessContext, target: GatewayTarget) -> Caller:
    a = access.account
    site = access.reaches(target.cloud_id, target.product)
    assert site is not None  # decide() checked the reach
    return Caller(a.account_id, a.email, a.name, a.picture, a.zoneinfo, a.locale,
                  target.cloud_id, site.name, access.app.client_id, access.scopes)


async def _builtin(face: ApiFace, access: AccessContext, decision: GatewayDecision,
                   request: Request, body: bytes) -> Response:
    product = face.builtin(decision.service.name)
    if product is None:
        raise ApiError(404, "Not Found")
    query = request.scope.get("query_string", b"").decode("latin-1")
    product_request = ProductRequest(
        method=request.method,
        path=decision.target.path,
        query=tuple(parse_qsl(query, keep_blank_values=True)),
        body=body,
        content_type=request.headers.get("content-type", ""),
        caller=_caller(access, decision.target),
        base_url=_public_base(face, decision.target),
    )
    result = await run_store(face.ctx, product.handle, product_request)
    if result.body is None:
        return Response(status_code=result.status, headers=result.headers)
    return JSONResponse(result.body, status_code=result.status, headers=result.headers)


def identity_headers(face: ApiFace, access: AccessContext, target: GatewayTarget
                     ) -> dict[str, str]:
    platform = face.ctx.platform
    claims = assertion_claims(access, target, issuer=platform.policy.issuer,
                              now=int(time.time()))
    return {
        "x-threelo-assertion": platform.keys.sign(claims, typ=ASSERTION_TYPE),
        "x-threelo-account-id": access.account.account_id,
        "x-threelo-cloud-id": target.cloud_id,
        "x-threelo-client-id": access.app.client_id,
        "x-threelo-scope": " ".join(access.scopes),
    }


async def _external(face: ApiFace, access: AccessContext, decision: GatewayDecision,
                    request: Request, body: bytes) -> Response:
    target = decision.target
    query = request.scope.get("query_string", b"").decode("latin-1")
    return await upstream.forward(
        decision.service,
        method=request.method,
        path_and_query=target.path + (f"?{query}" if query else ""),
        headers=upstream.request_headers(request.headers,
                                         identity_headers(face, access, target)),
        body=body,
        public_base=_public_base(face, target),
    )
