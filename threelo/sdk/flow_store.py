"""Server-side storage for the flows an app has started and not yet completed.

A flow is found by a digest of (session binding id, state): only the session that started a flow
can find it, and the raw ``state`` is not used as a storage key. ``take`` removes what it
returns, which makes every state single-use (RFC 9700 §4.2.4).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["FlowStore", "MemoryFlowStore", "PendingFlow", "flow_key"]


@dataclass(frozen=True)
class PendingFlow:
    """What the SDK remembers between ``begin`` and ``complete``; never sent to the browser."""

    state: str = field(repr=False)
    binding: str = field(repr=False)
    code_verifier: str = field(repr=False)
    redirect_uri: str
    issuer: str
    created_at: float
    expires_at: float
    return_to: str | None = None


def flow_key(binding: str, state: str) -> str:
    """The storage key of the flow started by session ``binding`` with ``state``."""
    material = f"{len(binding)}:{binding}:{state}".encode()
    return hashlib.sha256(material).hexdigest()


class FlowStore(Protocol):
    """Where pending flows live. Implementations must make ``take`` atomic (get and delete)."""

    def put(self, key: str, flow: PendingFlow) -> None: ...

    def take(self, key: str) -> PendingFlow | None: ...

    def discard_expired(self, now: float) -> None: ...


class MemoryFlowStore:
    """The default store: one process, flows lost on restart."""

    def __init__(self) -> None:
        self._flows: dict[str, PendingFlow] = {}
        self._lock = threading.Lock()

    def put(self, key: str, flow: PendingFlow) -> None:
        with self._lock:
            self._flows[key] = flow

    def take(self, key: str) -> PendingFlow | None:
        with self._lock:
            return self._flows.pop(key, None)

    def discard_expired(self, now: float) -> None:
        with self._lock:
            stale = [key for key, flow in self._flows.items() if flow.expires_at <= now]
            for key in stale:
                del self._flows[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._flows)
