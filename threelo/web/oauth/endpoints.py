"""``POST /oauth/token``, ``/oauth/revoke`` and ``/oauth/introspect``: thin adapters over core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from threelo.core.client_auth import ClientCredentials
from threelo.core.errors import InvalidRequest, OAuthError, TemporarilyUnavailable
from threelo.core.grants import exchange
from threelo.core.introspection import introspect
from threelo.core.revocation import revoke_token
from threelo.storage.errors import StorageUnavailable
from threelo.web.common.offload import run_store
from threelo.web.context import WebContext
from threelo.web.oauth import cors
from threelo.web.oauth.body import client_credentials, read_params
from threelo.web.oauth.guard import record_failure, throttled
from threelo.web.oauth.responses import error_answer, json_answer, method_not_allowed

Handler = Callable[[ClientCredentials, dict[str, str]], JSONResponse]
Endpoint = Callable[[Request], Awaitable[Response]]
# Failures that count towards the per client and address throttle (RFC 6819 §5.1.4.2.3).
COUNTED = ("invalid_grant", "invalid_client")


def _client_endpoint(ctx: WebContext, handler: Handler, *, cors_for_public: bool) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        # RFC 6749 §3.2: the token endpoint takes POST only; override headers mean nothing.
        if request.method != "POST":
            return method_not_allowed("POST")
        basic_used = "authorization" in request.headers
        client_id = ""
        try:
            params = await read_params(request)
            creds = client_credentials(request, params)
            client_id = creds.client_id
            limited = throttled(ctx.limiter, request, client_id)
            response = limited if limited is not None else await _run(ctx, handler, creds, params)
        except OAuthError as error:
            if client_id and error.code in COUNTED:
                record_failure(ctx.limiter, request, client_id)
            response = error_answer(error, basic_used=basic_used)
        origin = request.headers.get("origin")
        if cors_for_public and origin and client_id:
            await _add_cors(ctx, response, client_id, origin)
        return response

    return endpoint


async def _run(
    ctx: WebContext, handler: Handler, creds: ClientCredentials, params: dict[str, str]
) -> Response:
    try:
        return await run_store(ctx, handler, creds, params)
    except StorageUnavailable:
        raise TemporarilyUnavailable("Try again later") from None


async def _add_cors(ctx: WebContext, response: Response, client_id: str, origin: str) -> None:
    response.headers["Vary"] = "Origin"
    store = ctx.platform.store
    try:
        allowed = await run_store(ctx, cors.allowed_for_client, store, client_id, origin)
    except StorageUnavailable:
        return
    if allowed:
        response.headers.update(cors.actual_headers(origin))


def _preflight(ctx: WebContext, origins: cors.PublicOrigins) -> Endpoint:
    """CORS preflight (WHATWG Fetch §3.2.2) for the origins of public clients only."""

    async def endpoint(request: Request) -> Response:
        origin = request.headers.get("origin")
        wanted = request.headers.get("access-control-request-method")
        if not origin or wanted is None:
            return method_not_allowed("POST")
        try:
            allowed = await run_store(ctx, origins.__contains__, origin)
        except StorageUnavailable:
            allowed = False
        if not allowed or wanted != "POST":
            return method_not_allowed("POST")  # no CORS header for anyone else
        return Response(status_code=204, headers=cors.preflight_headers(origin))

    return endpoint


def token_endpoint(ctx: WebContext, origins: cors.PublicOrigins) -> Endpoint:
    def handle(creds: ClientCredentials, params: dict[str, str]) -> JSONResponse:
        return json_answer(exchange(ctx.platform, creds, params).as_dict())

    post = _client_endpoint(ctx, handle, cors_for_public=True)
    preflight = _preflight(ctx, origins)

    async def endpoint(request: Request) -> Response:
        if request.method == "OPTIONS":
            return await preflight(request)
        return await post(request)

    return endpoint


def revoke_endpoint(ctx: WebContext) -> Endpoint:
    def handle(creds: ClientCredentials, params: dict[str, str]) -> JSONResponse:
        token = params.get("token")
        if not token:
            raise InvalidRequest("Missing token")
        revoke_token(ctx.platform, creds, token)
        return json_answer({})  # RFC 7009 §2.2: 200 whether or not the token was known

    return _client_endpoint(ctx, handle, cors_for_public=False)


def introspect_endpoint(ctx: WebContext) -> Endpoint:
    def handle(creds: ClientCredentials, params: dict[str, str]) -> JSONResponse:
        token = params.get("token")
        if not token:
            raise InvalidRequest("Missing token")
        return json_answer(introspect(ctx.platform, creds, token))

    return _client_endpoint(ctx, handle, cors_for_public=False)
