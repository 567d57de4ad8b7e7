"""Serving the application with uvicorn (uvloop + httptools when installed)."""

from __future__ import annotations

import os

import uvicorn

from threelo.settings import Settings


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    workers = settings.workers or 1
    if workers > 1:
        # Workers import the app by factory so each process builds its own pools.
        os.environ.setdefault("THREELO_SECRET_KEY", settings.secret_key)
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
