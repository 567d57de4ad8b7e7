"""Where store-bound work runs: inline on the event loop unless ``THREELO_STORE_THREADS`` asks
for worker threads (only ever for a networked database).

On the event loop a unit of work runs to its end before the process serves anything else. An
embedded store answers in microseconds, and a PostgreSQL unit on a nearby server in a few
round trips of tens of microseconds each, so a hop to a worker thread and back (and the
interpreter lock handed over twice) cost more than the wait it frees: on PostgreSQL the hop was
10-15 % of the CPU of a token request and tripled its p99 (docs/performance.md). The server
runs two processes per core for PostgreSQL instead (web.server), so one process's wait is
another's turn. Units never wait on anything but their own statements, so a row lock one holds
is released without help from the loop of any other.

A database far enough away that round trips take a millisecond or more is better served by
threads: with ``THREELO_STORE_THREADS=n`` no more than ``n`` run store work at once per process,
and ``n`` is at most the store's pool size. With more, each request past the pool's size opened
a connection and closed it again on the way out: a new PostgreSQL server process, its
authentication and a cold statement cache per request, which under load cost more than the
requests themselves.
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
