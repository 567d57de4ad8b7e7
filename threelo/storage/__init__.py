"""Storage: the in-memory reference store and the SQL store (SQLite, PostgreSQL).

``open_store(url)`` picks one by URL: ``memory://``, ``sqlite:///path.db``, ``sqlite://``
(in-memory SQLite), ``postgresql://user@host:port/db`` or ``postgres://...``.
"""

from __future__ import annotations

from threelo.core.ports import Store
from threelo.storage.errors import ReadOnlyTransaction, StorageUnavailable
from threelo.storage.memory import MemoryStore
from threelo.storage.sql.store import SqlStore

__all__ = ["MemoryStore", "ReadOnlyTransaction", "SqlStore", "StorageUnavailable", "open_store"]

MEMORY_URL = "memory://"


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the store at ``url``, first bringing its schema up to date unless ``migrate`` is off."""
    if url == MEMORY_URL:
        return MemoryStore()
    store = SqlStore(url)
    if migrate:
        from threelo.storage.migrate import upgrade_engine

        try:
            upgrade_engine(store.engine)
        except BaseException:
            store.close()
            raise
    return store
