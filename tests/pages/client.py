"""The in-process client of the page tests (see tests/asgi_client.py)."""

from __future__ import annotations

from starlette.types import ASGIApp

from tests.asgi_client import AsgiClient


class SyncClient(AsgiClient):
    def __init__(self, app: ASGIApp, base_url: str) -> None:
        super().__init__(app, base_url, address="203.0.113.7")
