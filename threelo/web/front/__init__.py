"""Routes of the front part of the web face."""

from __future__ import annotations

from starlette.routing import BaseRoute

from threelo.web.context import WebContext


def routes(ctx: WebContext) -> list[BaseRoute]:
    return []
