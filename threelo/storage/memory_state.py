"""The memory store's tables and the undo journal that makes its transactions atomic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from threelo.core.models import (
    Account,
    App,
    AuditEvent,
    AuthorizationCode,
    Grant,
    Membership,
    PendingAuthorization,
    RefreshToken,
    Session,
    SigningKey,
    Site,
    TokenFamily,
)
from threelo.core.ports import Later
from threelo.storage.errors import ReadOnlyTransaction

K = TypeVar("K")
V = TypeVar("V")


def answered(value: V) -> Later[V]:
    """A ``*_later`` read's answer in memory: read at once, handed back when asked."""
    return lambda: value



@dataclass
class Tables:
    """Rows keyed by primary key; values are frozen dataclasses, so a shallow copy is a snapshot."""

    accounts: dict[str, Account] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # lower(email) -> account_id
    sites: dict[str, Site] = field(default_factory=dict)
    memberships: dict[tuple[str, str, str], Membership] = field(default_factory=dict)
    site_admins: dict[tuple[str, str], bool] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)
    blocks: dict[tuple[str, str], datetime] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    grant_keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (client, account)
    families: dict[str, TokenFamily] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    pending: dict[str, PendingAuthorization] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    keys: dict[str, SigningKey] = field(default_factory=dict)
    audit: dict[int, AuditEvent] = field(default_factory=dict)
    last_event_id: int = 0


class Journal:
    """Copy-on-write undo log: the first write to a table in a transaction saves a copy of it."""

    def __init__(self, *, writable: bool) -> None:
        self._writable = writable
        self._saved: dict[int, tuple[dict[Any, Any], dict[Any, Any]]] = {}

    def writing(self, table: dict[K, V]) -> dict[K, V]:
        if not self._writable:
            raise ReadOnlyTransaction("cannot write inside Store.reader()")
        if id(table) not in self._saved:
            self._saved[id(table)] = (table, dict(table))
        return table

    def rollback(self) -> None:
        for table, saved in self._saved.values():
            table.clear()
            table.update(saved)
        self._saved.clear()
