"""``POST /oauth/token``, ``/oauth/revoke`` and ``/oauth/introspect``: thin adapters over core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from threelo.core.client_auth import ClientCredentials
from threelo.core.errors import InvalidRequest, OAuthError
from threelo.core.grants import exchange
from threelo.core.introspection import introspect
from threelo.core.revocation import revoke_token
from threelo.web.context import WebContext
from threelo.web.oauth.body import client_credentials, read_params
from threelo.web.oauth.guard import record_failure, throttled
from threelo.web.oauth.responses import error_answer, json_answer, method_not_allowed

Handler = Callable[[ClientCredentials, dict[str, str]], JSONResponse]


def _client_endpoint(
    ctx: WebContext, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if request.method != "POST":
            return method_not_allowed("POST")
        basic_used = "authorization" in request.headers
        client_id = ""
        try:
            params = await read_params(request)
            creds = client_credentials(request, params)
            client_id = creds.client_id
            limited = throttled(ctx.limiter, request, client_id)
            if limited is not None:
                return limited
            return await run_in_threadpool(handler, creds, params)
        except OAuthError as error:
            if client_id and error.code in ("invalid_grant", "invalid_client"):
                record_failure(ctx.limiter, request, client_id)
            return error_answer(error, basic_used=basic_used)

    return endpoint


def token_endpoint(ctx: WebContext) -> Callable[[Request], Awaitable[Response]]:
    def handle(creds: ClientCredentials, params: dict[str, str]) -> JSONResponse:
        return json_answer(exchange(ctx.platform, creds, params).as_dict())

    return _client_endpoint(ctx, handle)


def revoke_endpoint(ctx: WebContext) -> Callable[[Request], Awaitable[Response]]:
    def handle(creds: ClientCredentials, params: dict[str, str]) -> JSONResponse:
        token = params.get("token")
        if not token:
            raise InvalidRequest("Missing token")
        revoke_token(ctx.platform, creds, token)
        return json_answer({})  # RFC 7009 §2.2: 200 whether or not the token was known

    return _client_endpoint(ctx, handle)


def introspect_endpoint(ctx: WebContext) -> Callable[[Request], Awaitable[Response]]:
    def handle(creds: ClientCredentials, params: dict[str, str]) -> JSONResponse:
        token = params.get("token")
        if not token:
            raise InvalidRequest("Missing token")
        return json_answer(introspect(ctx.platform, creds, token))

    return _client_endpoint(ctx, handle)
