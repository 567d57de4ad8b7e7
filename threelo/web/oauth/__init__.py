"""Routes of the OAuth endpoints: token, revocation, introspection, metadata, JWKS."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from threelo.web.context import WebContext
from threelo.web.oauth.cors import PublicOrigins
from threelo.web.oauth.endpoints import (
    Endpoint,
    introspect_endpoint,
    revoke_endpoint,
    token_endpoint,
)
from threelo.web.oauth.metadata import jwks_endpoint, metadata_endpoint


class AnyMethod:
    """An ASGI app taking every HTTP method, so that the endpoint itself answers a wrong
    one with a JSON 405 and ``Allow`` (RFC 9110 §15.5.6) rather than the router's text."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._endpoint(Request(scope, receive))
        await response(scope, receive, send)


def routes(ctx: WebContext) -> list[BaseRoute]:
    origins = PublicOrigins(ctx.platform.store)
    return [
        Route("/oauth/token", AnyMethod(token_endpoint(ctx, origins))),
        Route("/oauth/revoke", AnyMethod(revoke_endpoint(ctx))),
        Route("/oauth/introspect", AnyMethod(introspect_endpoint(ctx))),
        Route("/.well-known/oauth-authorization-server", metadata_endpoint(ctx), methods=["GET"]),
        Route("/.well-known/jwks.json", jwks_endpoint(ctx), methods=["GET"]),
    ]
