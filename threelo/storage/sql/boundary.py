"""The edge where SQLAlchemy and driver exceptions stop (STYLE.md habit 4).

Every statement runs through :class:`Db`, which turns an integrity error into ``Conflict``, a
value the database refuses into ``ValueError``, and anything else into ``StorageUnavailable``.

Statements are built once, at import time, with ``bindparam`` placeholders, and executed with a
parameter dictionary: SQLAlchemy then finds the compiled form in its cache at once instead of
building and hashing a new statement tree on every call. Column types (``types.py``) still
process every value that goes in and comes out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Column,
    Connection,
    CursorResult,
    Executable,
    Table,
    bindparam,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from threelo.core.ports import Conflict
from threelo.storage.errors import ReadOnlyTransaction, StorageUnavailable
from threelo.storage.sql.engine import begin_statement
from threelo.storage.sql.pg_pipeline import Answer, PgUnit
from threelo.storage.sql.prepared import Prepared, prepare

Params = Mapping[str, Any]
_T = TypeVar("_T")


def param(column: Column[Any], name: str | None = None) -> BindParameter[Any]:
    """A placeholder typed like ``column``, named ``p_<column>`` unless ``name`` says otherwise.

    The prefix keeps placeholder names apart from column names, which SQLAlchemy reserves for
    the VALUES and SET clauses of INSERT and UPDATE statements.
    """
    return bindparam(name or f"p_{column.name}", type_=column.type)


def translate(exc: sa_exc.SQLAlchemyError) -> Exception:
    """The exception the storage ports promise in place of ``exc``."""
    if isinstance(exc, sa_exc.IntegrityError):
        return Conflict("a uniqueness rule was broken")
    if isinstance(exc, sa_exc.DataError):
        return ValueError(f"the database refused a value: {exc.orig}")
    if isinstance(exc, sa_exc.StatementError):
        if isinstance(exc.orig, ValueError | TypeError):
            return ValueError(str(exc.orig))
        return StorageUnavailable(f"database error: {type(exc.orig).__name__}")
    return StorageUnavailable(f"database error: {type(exc).__name__}")


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except sa_exc.SQLAlchemyError as exc:
        raise translate(exc) from exc


def _ignoring_inserts(dialect: Any) -> dict[Table, Executable]:
    from threelo.storage.sql import tables

    return {
        table: dialect.insert(table)
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)
        for table in tables.metadata.tables.values()
    }


# INSERT ... ON CONFLICT DO NOTHING for every table, per dialect. Without ``values()`` the
# statement inserts the columns named by the parameters it is executed with.
_IGNORING: dict[str, dict[Table, Executable]] = {
    "postgresql": _ignoring_inserts(postgresql),
    "sqlite": _ignoring_inserts(sqlite),
}


def _plain_inserts() -> dict[Table, Executable]:
    from threelo.storage.sql import tables

    return {table: table.insert() for table in tables.metadata.tables.values()}


# A plain INSERT for every table (what :meth:`Db.defer_insert` runs), built once so that its
# compiled form is found in the statement cache.
_PLAIN: dict[Table, Executable] = _plain_inserts()


class Db:
    """One connection inside one unit of work.

    Statements run on the driver's cursor from their :mod:`prepared` form when they have one,
    through ``Connection.execute`` otherwise; either way every failure leaves here translated.
    """

    __slots__ = (
        "_connection",
        "_dbapi",
        "_dialect",
        "_errors",
        "_ignoring",
        "_pg",
        "_queued",
        "_untouched",
        "_writable",
        "dialect_name",
        "failed",
    )

    def __init__(self, connection: Connection, *, writable: bool, dialect_name: str) -> None:
        self._connection = connection
        self._dialect = connection.dialect
        self._errors = connection.dialect.loaded_dbapi
        self._dbapi: Any = None
        self._pg: PgUnit | None = None
        self._writable = writable
        self._untouched = True  # nothing sent yet: a dead connection may still be replaced
        self._queued: list[QueuedRead] = []  # reads queued while untouched, to resend on replacing
        self.failed = False
        self.dialect_name = dialect_name
        self._ignoring = _IGNORING[dialect_name]

    def rows(self, statement: Executable, params: Params | None = None) -> list[Any]:
        prepared = self._prepared(statement, params)
        if prepared is None:
            return list(self._execute(statement, params).all())
        cursor = self._run(prepared, params, many=False)
        return [prepared.row(raw) for raw in cursor.fetchall()]

    def first(self, statement: Executable, params: Params | None = None) -> Any:
        prepared = self._prepared(statement, params)
        if prepared is None:
            return self._execute(statement, params).first()
        raw = self._run(prepared, params, many=False).fetchone()
        return None if raw is None else prepared.row(raw)

    def later(
        self, statement: Executable, params: Params, convert: Callable[[list[Any]], _T]
    ) -> Callable[[], _T]:
        """A read whose answer the caller wants later (the ports' ``Later``): ``convert`` of its
        rows, when called. On PostgreSQL it is sent with the unit's next statement, and run
        before it, in the same round trip (``pg_pipeline.py``); elsewhere it runs at once.
        Either way it sees what the statements before it wrote and none of what the statements
        after it write."""
        queued = self._queue(statement, params)
        return lambda: convert(queued.rows())

    def later_first(
        self, statement: Executable, params: Params, convert: Callable[[Any], _T]
    ) -> Callable[[], _T | None]:
        """:meth:`later` for a read of at most one row: ``convert`` of it, or None."""
        queued = self._queue(statement, params)

        def answer() -> _T | None:
            rows = queued.rows()
            return convert(rows[0]) if rows else None

        return answer

    def _queue(self, statement: Executable, params: Params) -> QueuedRead:
        prepared = self._prepared(statement, params)
        if prepared is None or self._pg is None:
            return QueuedRead(self, None, None, None, self.rows(statement, params))
        values = self._values(prepared, params, many=False)
        answer = self._send(prepared, values, many=False, wait=False, later=True)
        queued = QueuedRead(self, prepared, values, answer, None)
        if self._untouched:
            self._queued.append(queued)
        return queued

    def collect(self, later: QueuedRead) -> None:
        """Make sure ``later``'s answer has arrived: a round trip if nothing has fetched it.
        Raises what its round trip met, when that failed."""
        answer = later.answer
        if answer is None or self._pg is None:
            return
        if not answer.done:
            try:
                self._pg.collect()
            except self._errors.Error as exc:
                self.failed = True
                raise self._translate_driver(exc) from exc
            self._untouched = False
            self._queued.clear()
        if answer.error is not None:
            self.failed = True
            raise self._translate_driver(answer.error) from answer.error

    def write(self, statement: Executable, params: Params | None = None) -> int:
        """Run an INSERT, UPDATE or DELETE and return how many rows it touched."""
        if not self._writable:
            raise ReadOnlyTransaction("cannot write inside Store.reader()")
        prepared = self._prepared(statement, params)
        if prepared is None:
            return int(self._execute(statement, params).rowcount)
        return int(self._run(prepared, params, many=False).rowcount)

    def write_returning(self, statement: Executable, params: Params | None = None) -> Any:
        """Run an INSERT, UPDATE or DELETE ... RETURNING; the first row it returned, or None."""
        if not self._writable:
            raise ReadOnlyTransaction("cannot write inside Store.reader()")
        return self.first(statement, params)

    def write_returning_all(self, statement: Executable, params: Params | None = None) -> list[Any]:
        """Run a statement that writes and returns rows (``WITH … UPDATE … RETURNING``); all."""
        if not self._writable:
            raise ReadOnlyTransaction("cannot write inside Store.reader()")
        return self.rows(statement, params)

    def write_many(self, statement: Executable, params: Sequence[Params]) -> None:
        """Run one INSERT, UPDATE or DELETE for each parameter set (one round trip)."""
        self._write_many(statement, params, wait=True)

    def defer(self, statement: Executable, params: Params | None = None) -> None:
        """Run an INSERT, UPDATE or DELETE whose row count nobody reads.

        On PostgreSQL its answer is collected with the next statement's or the commit's, in
        the same round trip (``pg_pipeline.py``); an error it meets then fails the unit of
        work there. Elsewhere it runs at once, like :meth:`write`.
        """
        if not self._writable:
            raise ReadOnlyTransaction("cannot write inside Store.reader()")
        prepared = self._prepared(statement, params)
        if prepared is None:
            self._execute(statement, params)
        else:
            self._run(prepared, params, many=False, wait=False)

    def defer_many(self, statement: Executable, params: Sequence[Params]) -> None:
        """:meth:`defer` for one statement and several parameter sets."""
        self._write_many(statement, params, wait=False)

    def _write_many(self, statement: Executable, params: Sequence[Params], *, wait: bool) -> None:
        if not self._writable:
            raise ReadOnlyTransaction("cannot write inside Store.reader()")
        if not params:
            return
        prepared = self._prepared(statement, params[0])
        if prepared is None:
            self._execute(statement, params)
        else:
            self._run(prepared, params, many=True, wait=wait)

    def defer_insert(self, table: Table, values: Params) -> None:
        """Insert one row with a key no other row can have (a fresh random id or digest), as a
        deferred write. A duplicate all the same is ``Conflict`` and fails the unit of work,
        here or where the answer is collected: unlike :meth:`insert`, a caller cannot carry on.
        """
        self.defer(_PLAIN[table], values)

    def insert(self, table: Table, values: Params) -> None:
        """Insert one row; ``Conflict`` when it would break a unique rule.

        ``ON CONFLICT DO NOTHING`` reports the clash as a row count of 0 instead of an error,
        so a caller may catch ``Conflict`` and carry on in the same unit of work.
        """
        if self.insert_ignore(table, values) == 0:
            raise Conflict(f"a row like this one already exists in {table.name}")

    def insert_ignore(self, table: Table, values: Params) -> int:
        """INSERT ... ON CONFLICT DO NOTHING; return how many rows went in (0 or 1)."""
        return self.write(self._ignoring[table], values)

    def begin(self) -> None:
        """Open the unit's transaction; on SQLite with ``BEGIN IMMEDIATE`` when it writes, so
        that a writer holds the database's write lock from its first read on."""
        try:
            self._begin()
        except sa_exc.SQLAlchemyError as exc:
            raise translate(exc) from exc
        except self._errors.Error as exc:
            raise self._translate_driver(exc) from exc

    def _begin(self) -> None:
        self._connection.begin()
        self._dbapi = self._connection.connection.dbapi_connection
        if self.dialect_name == "sqlite":
            self._dbapi.execute(begin_statement(writing=self._writable))
        elif self.dialect_name == "postgresql":
            self._pg = PgUnit(self._dbapi, writing=self._writable)

    def commit(self) -> None:
        """Commit a writer's unit (a reader's is rolled back): every failure translated."""
        try:
            if self._pg is not None:
                if self._writable:
                    self._pg.commit()
                else:
                    self._pg.rollback()
            if self._writable:
                self._connection.commit()
            else:
                self._connection.rollback()
        except sa_exc.SQLAlchemyError as exc:
            self.failed = True
            raise translate(exc) from exc
        except self._errors.Error as exc:
            self.failed = True
            raise self._translate_driver(exc) from exc

    def rollback(self) -> None:
        """Roll the unit back, quietly: the exception that ended it is what matters."""
        if self._pg is not None:
            with suppress(Exception):
                self._pg.rollback()
        with suppress(Exception):
            self._connection.rollback()

    def release(self) -> None:
        """Hand the driver's connection back as it was lent; invalidate it if that fails."""
        pg, self._pg = self._pg, None
        if pg is None:
            return
        try:
            pg.close()
        except Exception:  # a broken connection: the pool must not lend it again
            with suppress(Exception):
                self._connection.invalidate()

    def check_committable(self) -> None:
        if self.failed:
            raise StorageUnavailable("a statement failed; the unit of work was rolled back")

    def _prepared(self, statement: Executable, params: Params | None) -> Prepared | None:
        keys = tuple(params) if params is not None and isinstance(statement, Insert) else None
        cache_key = (id(self._dialect), id(statement), keys)
        found = _PREPARED.get(cache_key)
        if found is not None and found[0] is statement and found[1] is self._dialect:
            return found[2]
        try:
            prepared = prepare(statement, self._dialect, keys)
        except sa_exc.SQLAlchemyError:
            prepared = None  # SQLAlchemy will say what is wrong with it when it runs
        _PREPARED[cache_key] = (statement, self._dialect, prepared)
        return prepared

    def _run(self, prepared: Prepared, params: Any, *, many: bool, wait: bool = True) -> Any:
        values = self._values(prepared, params, many=many)
        return self._send(prepared, values, many=many, wait=wait, later=False)

    def _values(self, prepared: Prepared, params: Any, *, many: bool) -> Any:
        try:
            return (
                [prepared.parameters(p) for p in params]
                if many
                else prepared.parameters(params or {})
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(str(exc)) from exc
        except KeyError as exc:
            raise StorageUnavailable(f"statement parameter missing: {exc}") from exc

    def _send(self, prepared: Prepared, values: Any, *, many: bool, wait: bool, later: bool) -> Any:
        try:
            try:
                cursor = self._cursor(prepared, values, many, wait)
            except self._errors.Error as exc:
                if not (self._untouched and self._dialect.is_disconnect(exc, self._dbapi, None)):
                    # PostgreSQL aborts the transaction on any error; never commit after one.
                    self.failed = True
                    raise
                self._reconnect()
                for queued in self._queued:  # what the dead connection never sent
                    assert queued.prepared is not None  # only queued reads are kept
                    queued.answer = self._cursor(queued.prepared, queued.values, False, False)
                cursor = self._cursor(prepared, values, many, wait)
        except sa_exc.SQLAlchemyError as exc:
            self.failed = True
            raise translate(exc) from exc
        except self._errors.Error as exc:
            self.failed = True
            raise self._translate_driver(exc) from exc
        if not later:  # a queued read has not been sent yet; anything else may have been
            self._untouched = False
            self._queued.clear()
        return cursor

    def _cursor(self, prepared: Prepared, values: Any, many: bool, wait: bool) -> Any:
        if self._pg is not None:
            return self._pg.run(prepared.sql, values, many=many, wait=wait)
        cursor = self._dbapi.cursor()
        if many:
            cursor.executemany(prepared.sql, values)
        else:
            cursor.execute(prepared.sql, values)
        return cursor

    def _leave_pipeline(self) -> None:
        try:
            try:
                self._pg.leave_pipeline()  # type: ignore[union-attr]
            except self._errors.Error as exc:
                if not (self._untouched and self._dialect.is_disconnect(exc, self._dbapi, None)):
                    raise
                self._reconnect()
                self._pg.leave_pipeline()  # type: ignore[union-attr]
        except self._errors.Error as exc:
            self.failed = True
            raise self._translate_driver(exc) from exc

    def _reconnect(self) -> None:
        """The pooled connection died before this unit of work said anything: take another
        and start again (pre-ping is off for speed)."""
        self._pg = None  # its connection is gone; nothing to give back
        self._connection.invalidate()
        self._connection.rollback()
        self._begin()

    def _translate_driver(self, exc: Exception) -> Exception:
        errors = self._errors
        if isinstance(exc, errors.IntegrityError):
            return Conflict("a uniqueness rule was broken")
        if isinstance(exc, errors.DataError):
            return ValueError(f"the database refused a value: {exc}")
        return StorageUnavailable(f"database error: {type(exc).__name__}")

    def _execute(self, statement: Executable, params: Any) -> CursorResult[Any]:
        connection = self._connection
        if self._pg is not None:
            self._leave_pipeline()
        try:
            try:
                result = connection.execute(statement, params)
            except sa_exc.DBAPIError as exc:
                if not (self._untouched and exc.connection_invalidated):
                    # PostgreSQL aborts the transaction on any error; never commit after one.
                    self.failed = True
                    raise
                # The pooled connection died before this unit of work said anything:
                # reconnect once and carry on (pre-ping is off for speed).
                self._pg = None
                connection.rollback()
                self._begin()
                if self._pg is not None:
                    self._leave_pipeline()
                result = connection.execute(statement, params)
        except sa_exc.SQLAlchemyError as exc:
            raise translate(exc) from exc
        self._untouched = False
        return result


def no_answer() -> None:
    """The answer of a read that cannot find anything (a key with a NUL, say)."""
    return None


class QueuedRead:
    """A read queued by :meth:`Db.later`: its rows, converted on first use."""

    __slots__ = ("_db", "_rows", "answer", "prepared", "values")

    def __init__(
        self,
        db: Db,
        prepared: Prepared | None,
        values: Any,
        answer: Answer | None,
        rows: list[Any] | None,
    ) -> None:
        self._db = db
        self.prepared = prepared
        self.values = values
        self.answer = answer
        self._rows = rows

    def rows(self) -> list[Any]:
        if self._rows is None:
            self._db.collect(self)
            prepared, answer = self.prepared, self.answer
            assert prepared is not None and answer is not None
            self._rows = [prepared.row(raw) for raw in answer.fetchall()]
        return self._rows


# (dialect id, statement id, insert column keys) -> (statement, dialect, prepared form or None)
_PREPARED: dict[tuple[int, int, tuple[str, ...] | None], tuple[Any, Any, Prepared | None]] = {}
