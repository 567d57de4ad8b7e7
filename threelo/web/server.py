"""Serving the application with uvicorn (uvloop + httptools, from ``uvicorn[standard]``).

Worker processes, when ``THREELO_WORKERS`` is 0 (the default), are chosen by the store, as
measured with ``bench/run.py`` (docs/performance.md): one for SQLite, where a second process
doubled the CPU spent per token request and lowered token throughput (SQLite admits one writer
at a time, and every token request writes); one per core for PostgreSQL.
"""

from __future__ import annotations

import os

import uvicorn

from threelo.settings import Settings


def worker_count(settings: Settings) -> int:
    if settings.workers:
        return settings.workers
    if settings.database_url.startswith("sqlite"):
        return 1
    return os.cpu_count() or 1


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
        )
        return
    from threelo.web.app import create_app

    uvicorn.run(
        create_app(settings), host=host, port=port, log_level="warning", proxy_headers=False
    )
