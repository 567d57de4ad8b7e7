"""Routes of the API face: ``/me``, accessible-resources and the gateway (CONTRACT §5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from threelo.core.gateway import ProductRegistry
from threelo.core.products_config import registry_for
from threelo.web.api.cors import CorsPolicy
from threelo.web.api.errors import ApiError
from threelo.web.api.face import ApiFace
from threelo.web.api.gateway import gateway
from threelo.web.api.identity import accessible_resources, me
from threelo.web.api.limits import ApiLimits
from threelo.web.context import WebContext

GATEWAY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _ambiguous(request: Request) -> Response:
    """``//ex/...``: an empty segment before the gateway prefix is ambiguous (GW-04)."""
    return ApiError(400, "Bad Request").response()


def routes(
    ctx: WebContext,
    *,
    registry: ProductRegistry | None = None,
    limits: ApiLimits | None = None,
) -> list[BaseRoute]:
    face = ApiFace(
        ctx=ctx,
        registry=registry or registry_for(ctx.settings.products_file),
        limits=limits or ApiLimits.from_env(),
        cors=CorsPolicy(ctx.settings.cors_origins),
    )
    return [
        Route("/me", me(face), methods=["GET", "OPTIONS"]),
        Route("/oauth/token/accessible-resources", accessible_resources(face),
              methods=["GET", "OPTIONS"]),
        Route("/ex/{rest:path}", gateway(face), methods=GATEWAY_METHODS),
        Route("//ex/{rest:path}", _ambiguous, methods=GATEWAY_METHODS),
    ]
