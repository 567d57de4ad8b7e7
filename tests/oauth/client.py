"""The in-process client of the token-endpoint tests (see tests/asgi_client.py)."""

from __future__ import annotations

from starlette.types import ASGIApp

from tests.asgi_client import BASE_URL, AsgiClient

__all__ = ["BASE_URL", "SyncClient"]


class SyncClient(AsgiClient):
    def __init__(self, app: ASGIApp, *, address: str = "198.51.100.7") -> None:
        super().__init__(app, address=address)
