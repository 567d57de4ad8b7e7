"""A small incident-reporting app that files confidential Jira issues through threelo.

Local users sign in here; "Connect Jira" links *the signed-in user* to an Atlassian-style
account through the SDK (state bound to this browser session, PKCE, single-use). The
``--unsafe-skip-state-check`` switch replaces the callback with a naive one to demonstrate the
account-linking attack; every page then says so.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route

from threelo.sdk import (
    AsyncThreeLOClient,
    ClientConfig,
    MemoryTokenStore,
    SqliteTokenStore,
    TokenStore,
)

from . import connect_routes, jira_routes
from .settings import Settings
from .state import AppState
from .users import LocalUsers

UNSAFE_WARNING = "\n".join(
    [
        "!" * 78,
        "!! UNSAFE MODE: --unsafe-skip-state-check is ON.",
        "!! The OAuth callback accepts any code without checking state: anyone can link",
        "!! their Jira account to a signed-in user here. For attack demonstrations only.",
        "!" * 78,
    ]
)


def create_app(settings: Settings) -> Starlette:
    """The app, with its outbound HTTP client taken from ``settings.http_client`` if given."""
    config = ClientConfig(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        callback_url=settings.callback_url,
        scopes=settings.scopes,
        auth_base_url=settings.threelo_url,
        api_base_url=settings.api_url or settings.threelo_url,
        issuer=settings.issuer,
    )
    owns_http = settings.http_client is None
    http = settings.http_client or httpx.AsyncClient(timeout=10.0)
    store: TokenStore = (
        SqliteTokenStore(settings.token_db) if settings.token_db else MemoryTokenStore()
    )
    state = AppState(
        settings=settings,
        sdk=AsyncThreeLOClient(config, token_store=store, http_client=http),
        http=http,
        users=LocalUsers(settings.users),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.unsafe_skip_state_check:
            print(UNSAFE_WARNING, file=sys.stderr)
        yield
        if owns_http:
            await http.aclose()

    app = Starlette(
        routes=_routes(),
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=settings.session_secret,
                session_cookie="incidents_session",
                same_site="lax",
                https_only=settings.public_url.startswith("https://"),
            )
        ],
        lifespan=lifespan,
    )
    app.state.incidents = state
    return app


def _routes() -> list[Route]:
    return [
        Route("/", connect_routes.home),
        Route("/login", connect_routes.login, methods=["POST"]),
        Route("/logout", connect_routes.logout, methods=["POST"]),
        Route("/connect", connect_routes.connect_page, methods=["GET"]),
        Route("/connect", connect_routes.connect, methods=["POST"]),
        Route("/callback", connect_routes.callback),
        Route("/disconnect", connect_routes.disconnect, methods=["POST"]),
        Route("/sites", jira_routes.sites_page, methods=["GET"]),
        Route("/sites", jira_routes.choose_site, methods=["POST"]),
        Route("/incidents/new", jira_routes.incident_form, methods=["GET"]),
        Route("/incidents", jira_routes.report_incident, methods=["POST"]),
    ]
