"""The in-memory reference store: every port, one process, one lock.

``transaction()`` and ``reader()`` hold a single re-entrant lock for their duration, so units of
work never interleave; a unit of work that raises is undone through a copy-on-write journal.
The SQL stores are tested against the same suite and must behave alike.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from threelo.core.ports import Store
from threelo.storage.memory_directory import (
    MemoryAccounts,
    MemoryApps,
    MemoryAppSiteBlocks,
    MemoryMemberships,
    MemorySiteAdmins,
    MemorySites,
)
from threelo.storage.memory_sessions import (
    MemoryAudit,
    MemoryPending,
    MemorySessions,
    MemorySigningKeys,
)
from threelo.storage.memory_state import Journal, Tables
from threelo.storage.memory_tokens import (
    MemoryCodes,
    MemoryFamilies,
    MemoryGrants,
    MemoryRefreshTokens,
)


class MemoryTx:
    """Every repository over the shared tables, recording undo information in one journal."""

    def __init__(self, tables: Tables, journal: Journal) -> None:
        self.accounts = MemoryAccounts(tables, journal)
        self.sites = MemorySites(tables, journal)
        self.memberships = MemoryMemberships(tables, journal)
        self.site_admins = MemorySiteAdmins(tables, journal)
        self.apps = MemoryApps(tables, journal)
        self.app_site_blocks = MemoryAppSiteBlocks(tables, journal)
        self.grants = MemoryGrants(tables, journal)
        self.families = MemoryFamilies(tables, journal)
        self.refresh_tokens = MemoryRefreshTokens(tables, journal)
        self.codes = MemoryCodes(tables, journal)
        self.pending = MemoryPending(tables, journal)
        self.sessions = MemorySessions(tables, journal)
        self.keys = MemorySigningKeys(tables, journal)
        self.audit = MemoryAudit(tables, journal)


class MemoryStore:
    one_writer = False  # readers take the same lock as writers: nothing to gain

    def __init__(self) -> None:
        self._tables = Tables()
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[MemoryTx]:
        with self._lock:
            journal = Journal(writable=True)
            try:
                yield MemoryTx(self._tables, journal)
            except BaseException:
                journal.rollback()
                raise

    @contextmanager
    def reader(self) -> Iterator[MemoryTx]:
        with self._lock:
            yield MemoryTx(self._tables, Journal(writable=False))

    def start_background_work(self) -> None:
        """No upkeep; present for the ``Store`` port."""

    def stop_background_work(self) -> None:
        """No upkeep; present for the ``Store`` port."""

    def close(self) -> None:
        """Nothing to release; present for the ``Store`` port."""


def _conforms(store: MemoryStore) -> Store:  # mypy checks the class against the port
    return store
