"""A synchronous client for the ASGI app in-process, over httpx's ASGI transport.

httpx's ASGI transport is async-only: requests run on an event loop in a helper thread.
Redirects are never followed.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

BASE_URL = "http://testserver"


class SyncClient:
    def __init__(self, app: ASGIApp, *, address: str = "198.51.100.7") -> None:
        self._portal_cm: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        self._client = httpx.AsyncClient(
            transport=transport, base_url=BASE_URL, follow_redirects=False
        )

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._portal.call(lambda: self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._portal_cm.__exit__(None, None, None)
