"""Serving the application with uvicorn (uvloop + httptools, from ``uvicorn[standard]``).

Worker processes, when ``THREELO_WORKERS`` is 0 (the default), are chosen by the store, as
measured with ``bench/run.py`` (docs/performance.md). For PostgreSQL, two per core: each
process runs one unit of work at a time on its event loop (web.common.offload), so while one
waits for the database another uses the core (four processes on two cores did 12-25 % more token
requests than two with store threads, at a third of the p99; six did no better than four); with
``THREELO_STORE_THREADS`` set, one per core. For a SQLite file at most two, since SQLite admits
one writer at a time and every token request writes, so a third process would only queue for
the write lock (two did 1.3-1.6x the token requests and /me calls of one, on two cores). An
in-memory SQLite database lives in one process, so it gets one.
"""

from __future__ import annotations

import os

import uvicorn

from threelo.settings import Settings
from threelo.storage.sql.engine import is_memory_sqlite, normalise_url

SQLITE_WORKERS = 2
POSTGRES_WORKERS_PER_CORE = 2  # when store calls run on the event loop (the default)

# Each response in one socket write (threelo.web.http_protocol); a path, so workers import it.
HTTP_PROTOCOL = "threelo.web.http_protocol:CoalescingHttpToolsProtocol"


def worker_count(settings: Settings) -> int:
    if settings.workers:
        return settings.workers
    cores = os.cpu_count() or 1
    if settings.database_url.startswith("sqlite"):
        if is_memory_sqlite(normalise_url(settings.database_url)):
            return 1
        return min(cores, SQLITE_WORKERS)
    if settings.store_threads:
        return cores
    return cores * POSTGRES_WORKERS_PER_CORE


def _export(settings: Settings) -> None:
    """Worker processes build their app from the environment: hand them these settings."""
    os.environ["THREELO_DATABASE_URL"] = settings.database_url
    os.environ["THREELO_ISSUER"] = settings.issuer
    os.environ["THREELO_SECRET_KEY"] = settings.secret_key
    if settings.api_base_url:
        os.environ["THREELO_API_BASE_URL"] = settings.api_base_url


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    workers = worker_count(settings)
    if workers > 1:
        _export(settings)
        uvicorn.run(
            "threelo.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=False,
            http=HTTP_PROTOCOL,
        )
        return
    from threelo.web.app import create_app

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
        http=HTTP_PROTOCOL,
    )
