"""RFC 8414 authorization-server metadata and the JWKS (RFC 7517)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from threelo.web.context import WebContext


def metadata_document(ctx: WebContext) -> dict[str, Any]:
    issuer = ctx.platform.policy.issuer
    scopes = sorted(
        {s.name for p in ctx.platform.catalogue.products.values() for s in p.scopes}
        | {"offline_access"}
    )
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "scopes_supported": scopes,
        "authorization_response_iss_parameter_supported": True,  # RFC 9207 §3
        "prompt_values_supported": ["consent", "none"],
    }


def metadata_endpoint(ctx: WebContext) -> Any:
    async def endpoint(request: Request) -> Response:
        return JSONResponse(metadata_document(ctx), headers={"Cache-Control": "max-age=300"})

    return endpoint


def jwks_endpoint(ctx: WebContext) -> Any:
    async def endpoint(request: Request) -> Response:
        return JSONResponse(ctx.platform.keys.jwks(), headers={"Cache-Control": "max-age=60"})

    return endpoint
