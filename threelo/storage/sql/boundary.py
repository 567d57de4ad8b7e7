"""The edge where SQLAlchemy and driver exceptions stop (STYLE.md habit 4).

Every statement runs through :class:`Db`, which turns an integrity error into ``Conflict``, a
value the database refuses into ``ValueError``, and anything else into ``StorageUnavailable``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Executable, Row, Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from threelo.core.ports import Conflict
from threelo.storage.errors import ReadOnlyTransaction, StorageUnavailable

T = TypeVar("T")


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise Conflict("a uniqueness rule was broken") from exc
    except sa_exc.DataError as exc:
        raise ValueError(f"the database refused a value: {exc.orig}") from exc
    except sa_exc.StatementError as exc:
        if isinstance(exc.orig, ValueError | TypeError):
            raise ValueError(str(exc.orig)) from exc
        raise StorageUnavailable(f"database error: {type(exc.orig).__name__}") from exc
    except sa_exc.SQLAlchemyError as exc:
        raise StorageUnavailable(f"database error: {type(exc).__name__}") from exc


class Db:
    """One connection inside one unit of work."""

    def __init__(self, connection: Connection, *, writable: bool) -> None:
        self._connection = connection
        self._writable = writable
        self._untouched = True
        self.failed = False
        self.dialect_name = connection.dialect.name

    def rows(self, statement: Executable) -> Sequence[Row[Any]]:
        return self._execute(statement).all()

    def first(self, statement: Executable) -> Row[Any] | None:
        return self._execute(statement).first()

    def write(self, statement: Executable) -> int:
        """Run an INSERT, UPDATE or DELETE and return how many rows it touched."""
        if not self._writable:
            raise ReadOnlyTransaction("cannot write inside Store.reader()")
        return int(self._execute(statement).rowcount)

    def insert(self, table: Table, values: dict[str, Any]) -> None:
        """Insert one row; ``Conflict`` when it would break a unique rule.

        ``ON CONFLICT DO NOTHING`` reports the clash as a row count of 0 instead of an error,
        so a caller may catch ``Conflict`` and carry on in the same unit of work.
        """
        if self.insert_ignore(table, values) == 0:
            raise Conflict(f"a row like this one already exists in {table.name}")

    def insert_ignore(self, table: Table, values: dict[str, Any]) -> int:
        """INSERT ... ON CONFLICT DO NOTHING; return how many rows went in (0 or 1)."""
        dialect = postgresql if self.dialect_name == "postgresql" else sqlite
        statement = dialect.insert(table).values(**values).on_conflict_do_nothing()
        return self.write(statement.execution_options(preserve_rowcount=True))

    def check_committable(self) -> None:
        if self.failed:
            raise StorageUnavailable("a statement failed; the unit of work was rolled back")

    def _execute(self, statement: Executable) -> CursorResult[Any]:
        return self._run(self._connection.execute, statement)

    def _run(self, action: Callable[..., T], *args: Any) -> T:
        with translated():
            try:
                result = action(*args)
            except sa_exc.DBAPIError as exc:
                if not (self._untouched and exc.connection_invalidated):
                    # PostgreSQL aborts the transaction on any error; never commit after one.
                    self.failed = True
                    raise
                # The pooled connection died before this unit of work said anything:
                # reconnect once and carry on (pre-ping is off for speed).
                self._connection.rollback()
                self._connection.begin()
                result = action(*args)
            self._untouched = False
            return result
