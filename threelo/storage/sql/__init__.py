"""The SQLAlchemy Core store for SQLite and PostgreSQL."""

from threelo.storage.sql.store import SqlStore, SqlTx

__all__ = ["SqlStore", "SqlTx"]
