"""Routes of the front part of the auth face: sign-in, authorization and consent, static files."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from threelo.web.common.offload import store_endpoint
from threelo.web.common.templates import TEMPLATE_DIR
from threelo.web.context import WebContext
from threelo.web.front.authorize import authorize, consent, consent_method_not_allowed
from threelo.web.front.home import home
from threelo.web.front.login import login_page, login_submit, logout

STATIC_DIR = TEMPLATE_DIR.parent / "static"


def routes(ctx: WebContext) -> list[BaseRoute]:
    return [
        Route("/authorize", store_endpoint(authorize), methods=["GET", "HEAD"]),
        Route("/authorize/consent", consent, methods=["POST"]),
        Route("/authorize/consent", consent_method_not_allowed),
        Route("/login", login_page, methods=["GET", "HEAD"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", home, methods=["GET", "HEAD"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
