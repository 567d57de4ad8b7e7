"""The in-process client of the front tests, and raw ASGI requests for inputs no HTTP client
would send."""

from __future__ import annotations

from typing import Any

import anyio
from anyio.from_thread import start_blocking_portal
from starlette.types import ASGIApp

from tests.asgi_client import BASE_URL, AsgiClient


class SyncClient(AsgiClient):
    def __init__(
        self, app: ASGIApp, *, address: str = "203.0.113.5", base_url: str = BASE_URL
    ) -> None:
        super().__init__(app, base_url, address=address)


def raw_request(
    app: ASGIApp,
    method: str,
    path: str,
    query: bytes = b"",
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request straight through ASGI, for inputs no HTTP client would send (100 KB URLs,
    raw bytes). Returns status, headers (last value wins) and body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("203.0.113.9", 5000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await anyio.sleep_forever()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def call() -> None:
        await app(scope, receive, send)  # type: ignore[arg-type]

    # On a portal thread: the caller's thread may already run an event loop (Playwright).
    with start_blocking_portal() as portal:
        portal.call(call)
    start = next(m for m in sent if m["type"] == "http.response.start")
    out_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], out_headers, content
