"""``SqlStore``: the storage ports over SQLAlchemy Core, for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy import Connection, Engine

from threelo.core.ports import Store
from threelo.storage.sql import engine as engines
from threelo.storage.sql.boundary import Db, translated
from threelo.storage.sql.repos_directory import (
    SqlAccounts,
    SqlApps,
    SqlAppSiteBlocks,
    SqlMemberships,
    SqlSiteAdmins,
    SqlSites,
)
from threelo.storage.sql.repos_grants import SqlFamilies, SqlGrants
from threelo.storage.sql.repos_sessions import SqlAudit, SqlPending, SqlSessions, SqlSigningKeys
from threelo.storage.sql.repos_tokens import SqlCodes, SqlRefreshTokens


class SqlTx:
    """Every repository, bound to one connection and its transaction."""

    def __init__(self, db: Db) -> None:
        self.accounts = SqlAccounts(db)
        self.sites = SqlSites(db)
        self.memberships = SqlMemberships(db)
        self.site_admins = SqlSiteAdmins(db)
        self.apps = SqlApps(db)
        self.app_site_blocks = SqlAppSiteBlocks(db)
        self.grants = SqlGrants(db)
        self.families = SqlFamilies(db)
        self.refresh_tokens = SqlRefreshTokens(db)
        self.codes = SqlCodes(db)
        self.pending = SqlPending(db)
        self.sessions = SqlSessions(db)
        self.keys = SqlSigningKeys(db)
        self.audit = SqlAudit(db)


class SqlStore:
    """A store over ``sqlite:///file.db``, ``sqlite://`` or ``postgresql://user@host/db``.

    The schema must exist already (``threelo.storage.migrate.upgrade``, or ``open_store``).
    """

    def __init__(self, url: str) -> None:
        self.engine: Engine = engines.create(url)
        self.dialect_name: str = self.engine.dialect.name
        # One shared in-memory SQLite connection cannot carry two transactions at once.
        memory = engines.is_memory_sqlite(self.engine.url)
        self._serial: threading.RLock | None = threading.RLock() if memory else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SqlTx]:
        with self._unit(writing=True) as db:
            yield SqlTx(db)

    @contextlib.contextmanager
    def reader(self) -> Iterator[SqlTx]:
        with self._unit(writing=False) as db:
            yield SqlTx(db)

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _unit(self, *, writing: bool) -> Iterator[Db]:
        with self._serial or contextlib.nullcontext(), self._connect(writing) as connection:
            db = Db(connection, writable=writing)
            try:
                yield db
                db.check_committable()
            except BaseException:
                with contextlib.suppress(Exception), translated():
                    connection.rollback()
                raise
            with translated():
                if writing:
                    connection.commit()
                else:
                    connection.rollback()

    @contextlib.contextmanager
    def _connect(self, writing: bool) -> Iterator[Connection]:
        with translated():
            connection = self.engine.connect()
        try:
            with translated():
                connection.execution_options(**{engines.WRITE_OPTION: writing})
                connection.begin()
            yield connection
        finally:
            with contextlib.suppress(Exception), translated():
                connection.close()


def _conforms(store: SqlStore) -> Store:  # mypy checks the class against the port
    return store
