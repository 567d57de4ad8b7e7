"""Routes of the OAuth endpoints: token, revocation, introspection, metadata, JWKS."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from threelo.web.context import WebContext
from threelo.web.oauth.endpoints import introspect_endpoint, revoke_endpoint, token_endpoint
from threelo.web.oauth.metadata import jwks_endpoint, metadata_endpoint

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def routes(ctx: WebContext) -> list[BaseRoute]:
    return [
        Route("/oauth/token", token_endpoint(ctx), methods=[*ANY_METHOD, "OPTIONS"]),
        Route("/oauth/revoke", revoke_endpoint(ctx), methods=ANY_METHOD),
        Route("/oauth/introspect", introspect_endpoint(ctx), methods=ANY_METHOD),
        Route(
            "/.well-known/oauth-authorization-server", metadata_endpoint(ctx), methods=["GET"]
        ),
        Route("/.well-known/jwks.json", jwks_endpoint(ctx), methods=["GET"]),
    ]
