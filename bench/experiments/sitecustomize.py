"""Opt-in instrumentation for a threelo server under benchmark; not part of threelo.

Put this directory on the server's PYTHONPATH (``bench/run.py --threelo-env
PYTHONPATH=$PWD/bench/experiments``). Nothing happens unless one of these is set:

BENCH_SQLITE_WRITE_LOCK=1
    Serialize SQLite write transactions with an in-process lock plus an flock shared by all
    worker processes, so writers queue instead of sleeping in SQLite's busy handler.
BENCH_SQL_COUNT_FILE=/path/prefix
    Count SQL statements (SQLAlchemy ``before_cursor_execute``, plus the store's own driver-cursor
    statements and each unit's BEGIN and COMMIT) and write the running total to
    ``<prefix>.<pid>`` every 0.2 s (read by ``bench/sequential.py``).
"""

import os

if os.environ.get("BENCH_SQLITE_WRITE_LOCK") == "1":
    import contextlib
    import fcntl
    import threading

    from threelo.storage.sql import store as _store

    _original_unit = _store.SqlStore._unit
    _lock = threading.Lock()
    _fds: dict[str, int] = {}

    @contextlib.contextmanager
    def _unit(self, *, writing):  # type: ignore[no-untyped-def]
        if not (writing and self.dialect_name == "sqlite" and self._serial is None):
            with _original_unit(self, writing=writing) as db:
                yield db
            return
        with _lock:
            path = f"{self.engine.url.database}.writelock"
            fd = _fds.get(path)
            if fd is None:
                fd = _fds[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                with _original_unit(self, writing=writing) as db:
                    yield db
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    _store.SqlStore._unit = _unit

if os.environ.get("BENCH_SQL_COUNT_FILE"):
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _count = [0]
    _count_path = f"{os.environ['BENCH_SQL_COUNT_FILE']}.{os.getpid()}"

    @event.listens_for(Engine, "before_cursor_execute")
    def _counted(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        _count[0] += 1

    # Statements the store runs on the driver cursor (threelo/storage/sql/prepared.py) bypass
    # SQLAlchemy's events; count them where the store hands them to the driver, along with the
    # BEGIN / COMMIT of each unit of work.
    from threelo.storage.sql import boundary as _boundary

    _original_cursor = _boundary.Db._cursor
    _original_begin = _boundary.Db._begin

    def _cursor(self, prepared, values, many):  # type: ignore[no-untyped-def]
        _count[0] += 1
        return _original_cursor(self, prepared, values, many)

    def _begin(self):  # type: ignore[no-untyped-def]
        _count[0] += 2  # BEGIN, and the COMMIT or ROLLBACK that ends the unit
        return _original_begin(self)

    _boundary.Db._cursor = _cursor
    _boundary.Db._begin = _begin

    def _dump() -> None:
        while True:
            time.sleep(0.2)
            with open(_count_path, "w") as f:
                f.write(str(_count[0]))

    threading.Thread(target=_dump, name="bench-sql-count", daemon=True).start()

if os.environ.get("BENCH_SQLITE_PRAGMAS"):
    # Extra PRAGMAs on every SQLite connection, e.g. "wal_autocheckpoint=100,cache_size=-65536".
    from sqlalchemy import event as _event

    from threelo.storage.sql import engine as _engine

    _original_engine = _engine._sqlite_engine
    _pragmas = [p for p in os.environ["BENCH_SQLITE_PRAGMAS"].split(",") if p]

    def _sqlite_engine(url):  # type: ignore[no-untyped-def]
        created = _original_engine(url)

        @_event.listens_for(created, "connect")
        def _more(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            for pragma in _pragmas:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        return created

    _engine._sqlite_engine = _sqlite_engine

if os.environ.get("BENCH_COALESCE_WRITES") == "1":
    # uvicorn's httptools protocol writes a response's head and its body with two
    # transport.write calls (two send syscalls, two TCP segments); hold the head back and
    # send it with the body.
    from uvicorn.protocols.http import httptools_impl as _h

    class _Coalescing:
        __slots__ = ("_transport", "_head")

        def __init__(self, transport):  # type: ignore[no-untyped-def]
            self._transport = transport
            self._head = None

        def write(self, data):  # type: ignore[no-untyped-def]
            if self._head is None and data[:5] == b"HTTP/" and data[-4:] == b"\r\n\r\n":
                self._head = data
                return
            if self._head is not None:
                data, self._head = self._head + data, None
            self._transport.write(data)

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self._transport, name)

    _cycle_init = _h.RequestResponseCycle.__init__

    def _init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _cycle_init(self, *args, **kwargs)
        self.transport = _Coalescing(self.transport)

    _h.RequestResponseCycle.__init__ = _init

if os.environ.get("BENCH_FOREGROUND_CHECKPOINTS") == "1":
    # As before background checkpoints: SQLite's own every 1000 pages, inside the COMMIT.
    from threelo.storage.sql import engine as _engine_ck
    from threelo.storage.sql.store import SqlStore as _SqlStore

    _engine_ck.AUTOCHECKPOINT_PAGES = 1000
    _SqlStore.start_background_work = lambda self: None  # type: ignore[method-assign]

if os.environ.get("BENCH_STATE_TTL"):
    # How long a process serves a token's live state from memory (default 2 s).
    from threelo.core import access as _access

    _access.STATE_TTL = float(os.environ["BENCH_STATE_TTL"])
