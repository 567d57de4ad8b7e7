"""``SqlStore``: the storage ports over SQLAlchemy Core, for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from functools import cached_property
from types import TracebackType

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from threelo.core.ports import Store
from threelo.storage.sql import engine as engines
from threelo.storage.sql.boundary import Db, translate
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
from threelo.storage.sql.wal_checkpoints import WalCheckpointer
from threelo.storage.sql.writer_lock import WriterLock


class SqlTx:
    """Every repository, bound to one connection and its transaction (each made on first use)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    @cached_property
    def accounts(self) -> SqlAccounts:
        return SqlAccounts(self._db)

    @cached_property
    def sites(self) -> SqlSites:
        return SqlSites(self._db)

    @cached_property
    def memberships(self) -> SqlMemberships:
        return SqlMemberships(self._db)

    @cached_property
    def site_admins(self) -> SqlSiteAdmins:
        return SqlSiteAdmins(self._db)

    @cached_property
    def apps(self) -> SqlApps:
        return SqlApps(self._db)

    @cached_property
    def app_site_blocks(self) -> SqlAppSiteBlocks:
        return SqlAppSiteBlocks(self._db)

    @cached_property
    def grants(self) -> SqlGrants:
        return SqlGrants(self._db)

    @cached_property
    def families(self) -> SqlFamilies:
        return SqlFamilies(self._db)

    @cached_property
    def refresh_tokens(self) -> SqlRefreshTokens:
        return SqlRefreshTokens(self._db)

    @cached_property
    def codes(self) -> SqlCodes:
        return SqlCodes(self._db)

    @cached_property
    def pending(self) -> SqlPending:
        return SqlPending(self._db)

    @cached_property
    def sessions(self) -> SqlSessions:
        return SqlSessions(self._db)

    @cached_property
    def keys(self) -> SqlSigningKeys:
        return SqlSigningKeys(self._db)

    @cached_property
    def audit(self) -> SqlAudit:
        return SqlAudit(self._db)


class SqlStore:
    """A store over ``sqlite:///file.db``, ``sqlite://`` or ``postgresql://user@host/db``.

    The schema must exist already (``threelo.storage.migrate.upgrade``, or ``open_store``).
    """

    def __init__(self, url: str) -> None:
        # Units of work run on an engine without connection events (see engine.py); the
        # published engine shares its pool and honours WRITE_OPTION for other writers.
        self._units_engine: Engine = engines.create_bare(url)
        self.engine: Engine = engines.with_write_option(self._units_engine)
        self.dialect_name: str = self._units_engine.dialect.name
        # One shared in-memory SQLite connection cannot carry two transactions at once.
        memory = engines.is_memory_sqlite(self._units_engine.url)
        self._serial: threading.RLock | None = threading.RLock() if memory else None
        database = self._units_engine.url.database
        self._writer: WriterLock | None = (
            WriterLock(database)
            if self.dialect_name == "sqlite" and not memory and database
            else None
        )
        self.one_writer = self._writer is not None
        # Units of work on the main thread keep their connection between units instead of
        # checking one out of the pool each time (~20 µs of SQLAlchemy pool and Connection
        # bookkeeping per unit, two units per token request; bench/app_micro.py). The main
        # thread is where the server's event loop runs units inline (web/common/offload.py);
        # worker threads, which come and go, use the pool, so that no number of them can hold
        # it empty. (A shared in-memory SQLite connection is the pool's only one: not held.)
        self._hold = self._writer is not None or self.dialect_name == "postgresql"
        self._held: Connection | None = None
        self._checkpointer: WalCheckpointer | None = (
            WalCheckpointer(database, self._writer)
            if self._writer is not None and database
            else None
        )

    def transaction(self) -> _Unit:
        return _Unit(self, writing=True)

    def reader(self) -> _Unit:
        return _Unit(self, writing=False)

    def start_background_work(self) -> None:
        """A SQLite file is checkpointed from a thread of its own (wal_checkpoints.py)."""
        if self._checkpointer is not None:
            self._checkpointer.start()

    def stop_background_work(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()

    @property
    def checkpointer(self) -> WalCheckpointer | None:
        return self._checkpointer

    def _connect(self) -> Connection:
        if not (self._hold and threading.current_thread() is threading.main_thread()):
            return self._units_engine.connect()
        connection = self._held
        if connection is not None and not _idle(connection):
            self._drop(connection)
            connection = None
        if connection is None:
            connection = self._held = self._units_engine.connect()
        return connection

    def _release(self, connection: Connection) -> None:
        """End a unit's use of ``connection``: the main thread's is kept (checked when next
        handed out); any other goes back to the pool."""
        if connection is not self._held:
            self._drop(connection)

    def _drop(self, connection: Connection) -> None:
        # Back to the pool, whose reset rolls back whatever transaction is still open.
        with contextlib.suppress(Exception):  # the pool drops a connection it cannot reset
            connection.close()
        if self._held is connection:
            self._held = None

    def close(self) -> None:
        self.stop_background_work()
        if self._held is not None:
            self._drop(self._held)
        self._units_engine.dispose()
        if self._writer is not None:
            self._writer.close()


class _Unit:
    """One unit of work: a pooled connection inside one transaction, committed on a normal exit
    (a reader's is rolled back), rolled back on an exception."""

    __slots__ = ("_connection", "_db", "_locked", "_store", "_writer", "_writing")

    def __init__(self, store: SqlStore, *, writing: bool) -> None:
        self._store = store
        self._writing = writing
        self._locked = False
        self._writer = store._writer if writing else None

    def __enter__(self) -> SqlTx:
        store = self._store
        if store._serial is not None:
            store._serial.acquire()
            self._locked = True
        if self._writer is not None:
            try:
                self._writer.acquire()
            except BaseException:
                self._unlock_serial()
                raise
        try:
            try:
                connection = self._connection = store._connect()
            except sa_exc.SQLAlchemyError as exc:
                raise translate(exc) from exc
            db = self._db = Db(connection, writable=self._writing, dialect_name=store.dialect_name)
            try:
                db.begin()
            except BaseException:
                self._close(connection)
                raise
        except BaseException:
            self._unlock()
            raise
        return SqlTx(db)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, db = self._connection, self._db
        try:
            if kind is None:
                try:
                    db.check_committable()
                    db.commit()
                except BaseException:
                    db.rollback()
                    raise
            else:
                db.rollback()
        finally:
            db.release()
            self._close(connection)
            self._unlock()

    def _close(self, connection: Connection) -> None:
        self._store._release(connection)

    def _unlock(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.release()
        self._unlock_serial()

    def _unlock_serial(self) -> None:
        if self._locked:
            self._locked = False
            self._store._serial.release()  # type: ignore[union-attr]


def _idle(connection: Connection) -> bool:
    """Open, valid, and outside a transaction both for SQLAlchemy and for the driver."""
    if connection.closed or connection.invalidated or connection.in_transaction():
        return False
    try:
        raw = connection.connection.dbapi_connection
    except sa_exc.SQLAlchemyError:
        return False
    if raw is None:
        return False
    if isinstance(raw, sqlite3.Connection):
        return not raw.in_transaction
    # psycopg: a connection the server closed shows as BAD; one left mid-transaction, not IDLE
    return not raw.closed and raw.info.transaction_status == TransactionStatus.IDLE


def _conforms(store: SqlStore) -> Store:  # mypy checks the class against the port
    return store
