"""Where an app keeps each connection's tokens, keyed by a key the app chooses.

The key is typically the app's own user id. Stores hold live credentials: keep the backing file
or database readable by the app only.
"""

from __future__ import annotations

import threading
from typing import Protocol

from .tokens import TokenSet

__all__ = ["MemoryTokenStore", "TokenStore"]


class TokenStore(Protocol):
    """Three methods; ``put`` must be durable before it returns (rotated refresh tokens)."""

    def get(self, key: str) -> TokenSet | None: ...

    def put(self, key: str, tokens: TokenSet) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryTokenStore:
    """Tokens in a dict: for tests and single-process apps that may lose them on restart."""

    def __init__(self) -> None:
        self._tokens: dict[str, TokenSet] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> TokenSet | None:
        with self._lock:
            return self._tokens.get(key)

    def put(self, key: str, tokens: TokenSet) -> None:
        with self._lock:
            self._tokens[key] = tokens

    def delete(self, key: str) -> None:
        with self._lock:
            self._tokens.pop(key, None)
