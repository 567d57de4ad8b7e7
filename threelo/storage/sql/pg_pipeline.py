"""A PostgreSQL unit of work in as few round trips as its reads allow (psycopg pipeline mode).

Each statement sent the ordinary way is one round trip: a client wait, a server wake-up and a
handful of system calls at both ends. On the token endpoint the waits were most of the work
(docs/performance.md), so a unit here sends what it can together:

- A **writer** runs in psycopg's pipeline mode with its own ``BEGIN`` and ``COMMIT`` (the driver
  is in autocommit mode for the unit, so it adds neither). ``BEGIN`` leaves with the first
  statement; a statement whose answer the caller reads (a select, an update whose row count
  decides something) waits for it; a *deferred* write (:meth:`Db.defer`) does not wait, and its
  answer is collected with the next statement's, or with the ``COMMIT``. A code exchange is then
  five round trips instead of eleven.
- A **reader** runs in autocommit mode without ``BEGIN`` or ``ROLLBACK``: under READ COMMITTED,
  PostgreSQL's default and what the units use, every statement takes its own snapshot inside a
  transaction or out of one, so the two statements bought nothing.

An error in a deferred write aborts the transaction on the server (PostgreSQL skips the rest of
the pipeline up to its next sync point, ``COMMIT`` included), so nothing of a failed unit is ever
committed. The error surfaces where its answer is collected and fails the unit like any other.
"""

from __future__ import annotations

import contextlib
from typing import Any

_BEGIN = b"BEGIN"
_COMMIT = b"COMMIT"


class PgUnit:
    """The driver side of one unit of work on one psycopg connection."""

    __slots__ = ("_begun", "_block", "_pipeline", "_raw", "_writing")

    def __init__(self, raw: Any, *, writing: bool) -> None:
        raw.autocommit = True  # the unit sends its own BEGIN and COMMIT (module docstring)
        self._raw = raw
        self._writing = writing
        self._block: Any = None  # the ``with connection.pipeline()`` block, while open
        self._pipeline: Any = None  # and what it yielded
        self._begun = False

    def run(self, sql: str, values: Any, *, many: bool, wait: bool) -> Any:
        """Send one statement; with ``wait`` its answer is in the returned cursor on return."""
        raw = self._raw
        if self._writing:
            if self._block is None:
                self._block = raw.pipeline()
                self._pipeline = self._block.__enter__()
            if not self._begun:
                raw.execute(_BEGIN, prepare=False)
                self._begun = True
        cursor = raw.cursor()
        if many:
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values)
        if wait and self._pipeline is not None:
            self._pipeline.sync()
        return cursor

    def leave_pipeline(self) -> None:
        """Collect every answer and leave pipeline mode, for a statement SQLAlchemy runs itself
        (it reads a cursor's description at once); its transaction stays open."""
        if self._writing and not self._begun:
            self._raw.execute(_BEGIN, prepare=False)
            self._begun = True
        self._end_pipeline()

    def commit(self) -> None:
        """``COMMIT`` with the deferred writes' answers: one round trip. Raises the first error
        any statement met; the server has then rolled nothing forward."""
        if self._begun:
            self._raw.execute(_COMMIT, prepare=False)
        self._end_pipeline()

    def rollback(self) -> None:
        with contextlib.suppress(Exception):  # the error that ended the unit is raised
            self._end_pipeline()
        self._raw.rollback()  # ROLLBACK when a transaction is open or failed, else nothing

    def close(self) -> None:
        """Give the connection back as the pool lends it: outside pipeline mode and not in
        autocommit (other users of the engine rely on the driver's own BEGIN)."""
        if self._block is not None:
            self.rollback()
        self._raw.autocommit = False

    def _end_pipeline(self) -> None:
        """Sync and leave pipeline mode: one round trip, raising the first error it collects."""
        block, self._block, self._pipeline = self._block, None, None
        if block is not None:
            block.__exit__(None, None, None)
