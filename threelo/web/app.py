"""The ASGI application: both faces (auth and API) of one deployment (CONTRACT §1)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from threelo.core.clock import Clock, SystemClock
from threelo.core.housekeeping import purge_expired
from threelo.core.platform import Platform
from threelo.core.ports import Store
from threelo.core.products_config import catalogue_from_settings
from threelo.settings import Settings, load_settings
from threelo.web import api, front, oauth, pages
from threelo.web.common.ratelimit import RateLimiter, limiter_for
from threelo.web.context import WebContext


def build_context(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    limiter: RateLimiter | None = None,
) -> WebContext:
    settings = settings or load_settings()
    if store is None:
        from threelo.storage import open_store

        store = open_store(settings.database_url)
    platform = Platform(
        store=store,
        policy=settings.policy(),
        clock=clock or SystemClock(),
        catalogue=catalogue_from_settings(settings.products_file),
    )
    return WebContext(
        platform=platform,
        settings=settings,
        limiter=limiter or limiter_for(settings.redis_url),
        inline_store=settings.store_threads == 0 or _embedded(store),
        store_concurrency=settings.store_threads or 1,
    )


def _embedded(store: Store) -> bool:
    """SQLite and the memory store answer without network waits (see web.common.offload)."""
    from threelo.storage.memory import MemoryStore

    return isinstance(store, MemoryStore) or getattr(store, "dialect_name", "") == "sqlite"


SWEEP_INTERVAL = 300.0
log = logging.getLogger("threelo")


async def _sweep_forever(ctx: WebContext, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(purge_expired, ctx.platform)
        except Exception:  # the store may be briefly down; the next sweep tries again
            log.warning("could not purge expired sessions and codes", exc_info=True)


def _lifespan(ctx: WebContext) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        store = ctx.platform.store
        store.start_background_work()
        sweeper = asyncio.create_task(_sweep_forever(ctx, SWEEP_INTERVAL))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await run_in_threadpool(store.stop_background_work)

    return lifespan


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    limiter: RateLimiter | None = None,
    context: WebContext | None = None,
) -> Starlette:
    ctx = context or build_context(settings, store=store, clock=clock, limiter=limiter)
    app = Starlette(
        routes=[
            *oauth.routes(ctx),
            *front.routes(ctx),
            *api.routes(ctx),
            *pages.routes(ctx),
        ],
        lifespan=_lifespan(ctx),
    )
    app.state.ctx = ctx
    return app
