"""CORS at the token endpoint (CONTRACT §5.5; RFC 9700 §2.6: the token endpoint MAY
support CORS, the authorization endpoint never).

Only browser-based *public* clients need it, so only the origins of public clients' callback
URLs are answered, and never with ``Access-Control-Allow-Credentials``: the endpoint reads no
cookies. Every other origin gets no CORS header at all.

The actual request names its client in the body, so its check is one app lookup. A preflight
carries no body: it needs the set of every public client's callback origins, which is kept
per process and rebuilt at most every :data:`ORIGINS_TTL` seconds.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from threelo.core.models import App
from threelo.core.ports import Store

ORIGINS_TTL = 5.0
MAX_AGE = "600"
DEFAULT_PORTS = {"http": 80, "https": 443}


def callback_origin(url: str) -> str | None:
    """The origin a browser sends for a page at ``url`` (RFC 6454 §6.2), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def app_origins(app: App) -> frozenset[str]:
    if not app.public:
        return frozenset()
    return frozenset(o for u in app.callback_urls if (o := callback_origin(u)) is not None)


class PublicOrigins:
    """The callback origins of every public client, cached for a few seconds."""

    def __init__(self, store: Store, ttl: float = ORIGINS_TTL) -> None:
        self._store = store
        self._ttl = ttl
        self._lock = threading.Lock()
        self._origins: frozenset[str] = frozenset()
        self._loaded_at: float | None = None

    def __contains__(self, origin: object) -> bool:
        with self._lock:
            stale = self._loaded_at is None or time.monotonic() - self._loaded_at > self._ttl
            if stale:
                with self._store.reader() as tx:
                    found: set[str] = set()
                    for app in tx.apps.list_public():
                        found |= app_origins(app)
                self._origins = frozenset(found)
                self._loaded_at = time.monotonic()
            return origin in self._origins


def allowed_for_client(store: Store, client_id: str, origin: str) -> bool:
    with store.reader() as tx:
        app = tx.apps.get(client_id)
    return app is not None and origin in app_origins(app)


def actual_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        **actual_headers(origin),
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Accept, Content-Type",
        "Access-Control-Max-Age": MAX_AGE,
    }
