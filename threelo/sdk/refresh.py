"""Single-flight refresh: one refresh per token family at a time, per process.

Atlassian and threelo rotate refresh tokens (a refresh spends the presented token). Two workers
refreshing the same family at once would present the same token twice; both platforms tolerate
that within a leeway, but a client must not rely on it, so refreshes of one key are serialised
and the second caller reuses the first caller's result.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from .errors import ReconnectNeeded, TokenEndpointError
from .token_store import TokenStore
from .tokens import TokenSet

__all__ = ["AsyncKeyedLocks", "KeyedLocks", "forget_on_invalid_grant", "needs_refresh"]


def needs_refresh(tokens: TokenSet, now: float, leeway: float, rejected: str | None) -> bool:
    """Refresh when the access token is (about to be) expired or the API just rejected it."""
    if tokens.is_expired(now, leeway):
        return True
    if rejected is None:
        return False
    return hmac.compare_digest(tokens.access_token.encode(), rejected.encode())


def forget_on_invalid_grant(
    store: TokenStore, key: str, used: TokenSet, exc: TokenEndpointError
) -> None:
    """On ``invalid_grant`` (403 on Atlassian, 400 per RFC 6749 §5.2) the family is gone."""
    if exc.error != "invalid_grant" or exc.status not in (400, 401, 403):
        return
    still_stored = store.get(key)
    if still_stored is not None and still_stored.refresh_token == used.refresh_token:
        store.delete(key)
    raise ReconnectNeeded("the refresh token was rejected; connect again") from exc


class _ThreadLock:
    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()


class _AsyncLock:
    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()


class KeyedLocks:
    """A ``threading.Lock`` per key, dropped when no thread holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: weakref.WeakValueDictionary[str, _ThreadLock] = weakref.WeakValueDictionary()

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            entry = self._locks.get(key)
            if entry is None:
                entry = self._locks[key] = _ThreadLock()
        with entry.lock:
            yield


class AsyncKeyedLocks:
    """An ``asyncio.Lock`` per key, for clients used from one event loop."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, _AsyncLock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _AsyncLock()
        async with entry.lock:
            yield
