"""What every API-face endpoint shares: CORS, error rendering, rate-limit headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from threelo.core.gateway import ProductRegistry
from threelo.products import BuiltinProduct, builtin_product
from threelo.web.api.cors import CorsPolicy, is_preflight
from threelo.web.api.errors import ApiError
from threelo.web.api.limits import ApiLimits
from threelo.web.common.ratelimit import RateDecision
from threelo.web.context import WebContext

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class ApiFace:
    ctx: WebContext
    registry: ProductRegistry
    limits: ApiLimits
    cors: CorsPolicy
    builtins: dict[str, BuiltinProduct] = field(default_factory=dict)

    def builtin(self, name: str) -> BuiltinProduct | None:
        if name not in self.builtins:
            product = builtin_product(name, self.ctx.platform.store)
            if product is None:
                return None
            self.builtins[name] = product
        return self.builtins[name]

    def endpoint(self, handler: Handler) -> Handler:
        """Preflight without a token; every answer (errors too) carries the CORS headers."""

        async def run(request: Request) -> Response:
            origin = request.headers.get("origin")
            if is_preflight(request):
                return self.cors.preflight(request)
            try:
                response = await handler(request)
            except ApiError as exc:
                response = exc.response()
            return self.cors.decorate(response, origin)

        return run


def json_no_store(body: object, rate: RateDecision, status: int = 200) -> JSONResponse:
    """Identity answers must not be cached by shared caches (OAuch CacheControlTest; ME-03)."""
    return JSONResponse(body, status_code=status,
                        headers={"Cache-Control": "no-store", **rate.headers()})
