"""Where store-bound work runs: inline on the event loop for SQLite and the memory store,
on a worker thread for a networked database.

An embedded store answers in microseconds without waiting on a socket, so a hop to a worker
thread (and the interpreter lock handed back and forth) would cost more than the work. A
PostgreSQL round trip does wait, so it leaves the event loop free for other requests.

No more threads run store work at once than the store's pool keeps connections
(``WebContext.store_concurrency``). With more, each request past the pool's size opened a
connection and closed it again on the way out: a new PostgreSQL server process, its
authentication and a cold statement cache per request, which under load cost more than the
requests themselves (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.requests import Request
from starlette.responses import Response

from threelo.web.context import WebContext

P = ParamSpec("P")
T = TypeVar("T")

# One limiter per (context, event loop): a limiter belongs to the loop it is used on.
_LIMITERS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakKeyDictionary[WebContext, CapacityLimiter]
] = weakref.WeakKeyDictionary()


def _limiter(ctx: WebContext) -> CapacityLimiter:
    per_context = _LIMITERS.setdefault(asyncio.get_running_loop(), weakref.WeakKeyDictionary())
    limiter = per_context.get(ctx)
    if limiter is None:
        limiter = per_context[ctx] = CapacityLimiter(ctx.store_concurrency)
    return limiter


async def run_store(
    ctx: WebContext, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    if ctx.inline_store:
        return fn(*args, **kwargs)
    call = functools.partial(fn, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, limiter=_limiter(ctx))


def store_endpoint(fn: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
    """An async endpoint running the synchronous ``fn`` where :func:`run_store` says."""

    async def endpoint(request: Request) -> Response:
        ctx: WebContext = request.app.state.ctx
        return await run_store(ctx, fn, request)

    endpoint.__name__ = fn.__name__
    endpoint.__doc__ = fn.__doc__
    return endpoint
