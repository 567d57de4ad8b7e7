"""Where store-bound work runs: inline on the event loop for SQLite and the memory store,
on a worker thread for a networked database.

An embedded store answers in microseconds without waiting on a socket, so a hop to a worker
thread (and the interpreter lock handed back and forth) would cost more than the work. A
PostgreSQL round trip does wait, so it leaves the event loop free for other requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from threelo.web.context import WebContext

P = ParamSpec("P")
T = TypeVar("T")


async def run_store(
    ctx: WebContext, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    if ctx.inline_store:
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


def store_endpoint(fn: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
    """An async endpoint running the synchronous ``fn`` where :func:`run_store` says."""

    async def endpoint(request: Request) -> Response:
        ctx: WebContext = request.app.state.ctx
        return await run_store(ctx, fn, request)

    endpoint.__name__ = fn.__name__
    endpoint.__doc__ = fn.__doc__
    return endpoint
