"""Store work on worker threads never runs wider than the store's pool (web/common/offload.py):
past it, every extra request opened a PostgreSQL connection and closed it again."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from threelo.storage.memory import MemoryStore
from threelo.web.app import build_context
from threelo.web.common.offload import run_store
from threelo.web.context import WebContext


def _context(*, inline: bool, concurrency: int) -> WebContext:
    ctx = build_context(store=MemoryStore())
    ctx.inline_store, ctx.store_concurrency = inline, concurrency
    return ctx


class _Gauge:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = self.most = 0
        self.threads: set[int] = set()

    def work(self) -> int:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.threads.add(threading.get_ident())
        time.sleep(0.02)
        with self._lock:
            self.now -= 1
        return 1


@pytest.mark.asyncio
async def test_no_more_store_calls_run_at_once_than_the_limit() -> None:
    ctx, gauge = _context(inline=False, concurrency=3), _Gauge()
    results = await asyncio.gather(*(run_store(ctx, gauge.work) for _ in range(12)))
    assert results == [1] * 12
    assert gauge.most == 3
    assert threading.get_ident() not in gauge.threads  # off the event loop


@pytest.mark.asyncio
async def test_an_embedded_store_runs_inline_on_the_event_loop() -> None:
    ctx, gauge = _context(inline=True, concurrency=3), _Gauge()
    assert await run_store(ctx, gauge.work) == 1
    assert gauge.threads == {threading.get_ident()}
