"""Engines for the two supported databases, configured for many concurrent writers.

SQLite: WAL journal, ``synchronous=NORMAL``, a 10 s busy timeout and foreign keys on. pysqlite's
own transaction handling is switched off so that SQLAlchemy's "begin" event can emit
``BEGIN IMMEDIATE`` for writing units of work: a writer takes the database's write lock before
its first read, so two read-modify-write transactions queue on the busy timeout instead of one
failing with "database is locked" when it tries to upgrade its lock.

PostgreSQL: the psycopg 3 driver and a pool of about ten connections.

``SqlStore`` runs its units of work on a *bare* engine (:func:`create_bare`) that has no
connection events, and emits ``BEGIN`` itself: an engine with any connection event listener
dispatches several events around every statement, which costs a few microseconds each time.
The engine it publishes (``SqlStore.engine``, :func:`with_write_option`) shares the bare engine's
pool and dialect and adds the "begin" listener for other code that writes through it.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

WRITE_OPTION = "threelo_write"
BUSY_TIMEOUT_MS = 10_000


def normalise_url(url: str) -> URL:
    """Accept ``sqlite:///path``, ``sqlite://``, ``postgresql://`` and ``postgres://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ValueError(f"not a database URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create(url: str) -> Engine:
    """An engine whose connections honour :data:`WRITE_OPTION` (``BEGIN IMMEDIATE``)."""
    return with_write_option(create_bare(url))


def begin_statement(*, writing: bool) -> str:
    """What opens a SQLite unit of work (pysqlite's own transaction handling is off)."""
    return "BEGIN IMMEDIATE" if writing else "BEGIN"


def with_write_option(engine: Engine) -> Engine:
    """``engine`` seen through a SQLite "begin" listener that reads :data:`WRITE_OPTION`.

    The result shares ``engine``'s pool and dialect (``Engine.execution_options``); the
    listener belongs to it alone, so ``engine`` itself stays free of connection events.
    """
    if engine.dialect.name != "sqlite":
        return engine
    listening = engine.execution_options()

    @event.listens_for(listening, "begin")
    def on_begin(connection: Any) -> None:
        writing = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql(begin_statement(writing=writing))

    return listening


CACHE_KIB = 16 * 1024
# A unit of work checkpoints the WAL itself only past this many pages (40 MiB at 4 KiB pages):
# a server checkpoints on a thread of its own (wal_checkpoints.py) and this is the backstop.
AUTOCHECKPOINT_PAGES = 10_000
# After the log starts again from its beginning, a file grown past this is cut back to it.
WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024


# A networked database's pool: connections kept open, and how many more may be opened for a while
# beyond them. A connection opened past POOL_SIZE is closed again when it is given back, so the
# web layer runs at most POOL_SIZE units of work at once (web/common/offload.py): past that
# every request paid for a new server process and a cold statement cache.
POOL_SIZE = 10
MAX_OVERFLOW = 10
# How long opening a PostgreSQL connection may take (libpq's connect_timeout) unless the URL
# says otherwise. Units of work run on the event loop (web/common/offload.py): a server that
# accepts and never answers, or packets dropped on the way, must not hold a process for the
# minutes a TCP connect can take.
CONNECT_TIMEOUT_S = 5


def create_bare(url: str) -> Engine:
    """An engine without connection events: on SQLite its user must emit ``BEGIN`` itself."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    # psycopg prepares nothing itself: the units of work prepare their statements (pg_pipeline.py),
    # and psycopg, once it holds prepared statements of its own, answers every ROLLBACK with a
    # DEALLOCATE ALL that would take the units' with them.
    connect_args: dict[str, Any] = {"prepare_threshold": None}
    if "connect_timeout" not in parsed.query:  # the URL's own wins
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    return create_engine(
        parsed,
        connect_args=connect_args,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_timeout=30,
        pool_pre_ping=False,  # a dead connection is retried on a unit of work's first statement
        pool_recycle=1800,
    )


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once; the mode is stored in the file, so later opens find it.

    Switching needs an exclusive lock and SQLite answers "database is locked" at once, without
    its busy handler, while another connection holds any lock: several processes opening a new
    file together (two server workers on a fresh database) must wait and try again.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.001
    while True:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() == "wal":
            return
        try:
            if str(cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower() == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
        if time.monotonic() >= deadline:
            raise sqlite3.OperationalError("database is locked: could not switch it to WAL")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _sqlite_engine(url: URL) -> Engine:
    memory = is_memory_sqlite(url)
    options: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    }
    if memory:
        options["poolclass"] = StaticPool
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not memory:
                _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # No memory map: whenever another process has committed, SQLite drops the whole
            # map (and its page cache) at the start of the next transaction, so with several
            # server workers every unit of work paid for munmap, mmap and a page fault per page
            # it touched (bench/results/experiments/20261203T0728*-0730*: +13 % code exchanges/s
            # without it). Pages are read into a 16 MiB page cache; temporary tables in memory.
            cursor.execute("PRAGMA mmap_size=0")
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
        finally:
            cursor.close()

    return engine
