"""A PostgreSQL unit of work in as few round trips and socket writes as its reads allow.

Each statement sent the ordinary way is one round trip: a client wait, a server wake-up and a
handful of system calls at both ends. On the token endpoint the waits were most of the work
(docs/performance.md), so a unit here drives libpq's pipeline mode itself (through psycopg's
``pgconn``, its libpq wrapper) and sends what it can together:

- Statements queue in libpq's output buffer and leave in **one write per round trip**, when an
  answer is needed. (psycopg's own pipeline flushes, and polls the socket, after every
  statement: a code exchange made twelve writes to the server, and 24 polls, where its round
  trips needed three.)
- A **writer** sends its own ``BEGIN`` with its first statement and its ``COMMIT`` with the
  answers still owed. A statement whose answer the caller reads (a select, an update whose row
  count decides something) waits for it; a *deferred* write (:meth:`Db.defer`) does not, and its
  answer is collected with the next statement's or with the ``COMMIT``. A read whose answer can
  wait (:meth:`Db.later`) is queued the same way. A code exchange is two round trips, a refresh
  three.
- A **reader** sends no ``BEGIN`` or ``ROLLBACK``: under READ COMMITTED, PostgreSQL's default and
  what the units use, every statement takes its own snapshot inside a transaction or out of one,
  so the two statements bought nothing.
- Each statement is prepared on the server the first time a connection runs it, in the same
  round trip as its first run; later runs send only its values. (PgBouncer keeps such
  protocol-level prepared statements in transaction pooling mode from version 1.21 on, with
  ``max_prepared_statements`` set.) psycopg's own preparing is off on these connections
  (engine.py): it would answer a ``ROLLBACK`` with ``DEALLOCATE ALL``. Should anything else drop
  a connection's statements all the same (a ``DISCARD ALL``, a migration that changes a table's
  columns under a prepared read), the unit that meets it fails and the next one prepares afresh.

Values are turned into PostgreSQL's formats and rows back into Python by psycopg's own
``Transformer``, exactly as its cursors do; only the sending and the waiting are done here.

An error in a deferred write aborts the transaction on the server (PostgreSQL skips the rest of
the pipeline up to its next sync point, ``COMMIT`` included), so nothing of a failed unit is ever
committed. The error surfaces where its answer is collected and fails the unit like any other.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from typing import Any

from psycopg import errors, generators, pq
from psycopg.adapt import PyFormat, Transformer

_BEGIN = b"BEGIN"
_COMMIT = b"COMMIT"
_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK, pq.ExecStatus.EMPTY_QUERY)
_IDLE = pq.TransactionStatus.IDLE
_TEXT = pq.Format.TEXT
# Statements prepared per connection, at most: a fixed set of statements times the few type
# combinations their values come in (an int's type follows its size); past it, unnamed.
MAX_PREPARED = 512
# What the server says when a connection's prepared statements are not what this module made
# them: gone (26000), or a table changed under them ("cached plan must not change result type").
_STATEMENTS_GONE = (errors.InvalidSqlStatementName, errors.FeatureNotSupported)
_PLACEHOLDER = re.compile(rb"%\(([^)]+)\)s|%%")


class _Native:
    """A statement in libpq's terms: ``$n`` placeholders and the names that fill them."""

    __slots__ = ("formats", "names", "query")

    def __init__(self, sql: str, encoding: str) -> None:
        names: list[str] = []

        def number(match: re.Match[bytes]) -> bytes:
            if match.group(1) is None:
                return b"%"
            name = match.group(1).decode(encoding)
            if name not in names:
                names.append(name)
            return b"$%d" % (names.index(name) + 1)

        self.query: bytes = _PLACEHOLDER.sub(number, sql.encode(encoding))
        self.names: tuple[str, ...] = tuple(names)
        self.formats = [PyFormat.AUTO] * len(names)  # each value's format: psycopg chooses


_NATIVE: dict[tuple[str, str], _Native] = {}
_Key = tuple[bytes, tuple[int, ...]]


class _Connection:
    """What a unit keeps per driver connection: its transformer and its prepared statements."""

    __slots__ = ("encoding", "named", "prepared", "transformer")

    def __init__(self, raw: Any) -> None:
        self.transformer: Any = Transformer(raw)
        self.encoding: str = raw.info.encoding
        self.prepared: dict[_Key, bytes] = {}  # (query, parameter types) -> statement name
        self.named = 0  # names given so far: a name is never given twice

    def name(self, key: _Key) -> bytes:
        self.named += 1
        name = self.prepared[key] = b"threelo_%d" % self.named
        return name


_CONNECTIONS: weakref.WeakKeyDictionary[Any, _Connection] = weakref.WeakKeyDictionary()


class Answer:
    """A statement's answer, as much of a DB-API cursor as :class:`Db` reads: filled in when
    its results are collected."""

    __slots__ = ("_results", "_transformer", "done", "error", "rowcount")

    def __init__(self, transformer: Any) -> None:
        self._transformer = transformer
        self._results: list[Any] = []
        self.rowcount = -1
        self.done = False  # its results collected, or its round trip failed with ``error``
        self.error: Exception | None = None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        transformer = self._transformer
        for result in self._results:
            if result.ntuples:
                transformer.set_pgresult(result)
                rows.extend(transformer.load_rows(0, result.ntuples, tuple))
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def _add(self, result: Any) -> None:
        self._results.append(result)
        count = result.command_tuples
        if count is not None:
            self.rowcount = count if self.rowcount < 0 else self.rowcount + count


class PgUnit:
    """The driver side of one unit of work on one psycopg connection."""

    __slots__ = ("_begun", "_conn", "_pending", "_pgconn", "_piped", "_raw", "_writing")

    def __init__(self, raw: Any, *, writing: bool) -> None:
        self._raw = raw
        self._pgconn: Any = raw.pgconn
        conn = _CONNECTIONS.get(raw)
        if conn is None:
            conn = _CONNECTIONS[raw] = _Connection(raw)
        self._conn = conn
        self._writing = writing
        self._piped = False  # in libpq's pipeline mode
        self._begun = False  # this unit sent BEGIN
        # One entry per command sent and not yet collected: the answer it fills in, None for
        # a bare command, or the key of a statement it prepares.
        self._pending: list[Answer | _Key | None] = []

    def run(self, sql: str, values: Any, *, many: bool, wait: bool) -> Answer:
        """Queue one statement (``many``: once per value set); with ``wait``, send everything
        queued and collect every answer owed, this one's included, before returning."""
        if not self._piped:
            self._pgconn.enter_pipeline_mode()
            self._piped = True
        if self._writing and not self._begun:
            if self._pgconn.transaction_status == _IDLE:
                self._command(_BEGIN)
            self._begun = True
        native = _NATIVE.get((sql, self._conn.encoding))
        if native is None:
            native = _NATIVE[(sql, self._conn.encoding)] = _Native(sql, self._conn.encoding)
        answer = Answer(self._conn.transformer)
        for one in values if many else (values,):
            self._send(native, one, answer)
        if wait:
            self._sync()
        return answer

    def collect(self) -> None:
        """Send what is queued and collect every answer owed: one round trip, or none."""
        if self._pending:
            self._sync()

    def leave_pipeline(self) -> None:
        """Collect every answer and leave pipeline mode, for a statement SQLAlchemy runs itself
        through psycopg; the unit's transaction, if it began one, stays open."""
        self._end_pipeline()

    def commit(self) -> None:
        """``COMMIT`` with the deferred writes' answers: one round trip. Raises the first error
        any statement met; the server has then rolled nothing forward."""
        if self._begun:
            if not self._piped:
                self._pgconn.enter_pipeline_mode()
                self._piped = True
            self._command(_COMMIT)
            self._begun = False
        self._end_pipeline()

    def rollback(self) -> None:
        self._begun = False
        with contextlib.suppress(Exception):  # the error that ended the unit is raised
            self._end_pipeline()
        self._raw.rollback()  # ROLLBACK when a transaction is open or failed, else nothing

    def close(self) -> None:
        """Give the connection back as the pool lends it: outside pipeline mode, and outside
        any transaction this unit began."""
        if self._piped or self._begun:
            self.rollback()

    # -- sending and collecting ------------------------------------------------------------

    def _command(self, query: bytes) -> None:
        self._pgconn.send_query_params(query, None)
        self._pending.append(None)

    def _send(self, native: _Native, values: Any, answer: Answer) -> None:
        conn = self._conn
        transformer = conn.transformer
        ordered = [values[name] for name in native.names]
        dumped = transformer.dump_sequence(ordered, native.formats)
        types, formats = transformer.types, transformer.formats
        pgconn = self._pgconn
        key = (native.query, tuple(types))
        name = conn.prepared.get(key)
        if name is None:
            if len(conn.prepared) >= MAX_PREPARED:
                pgconn.send_query_params(native.query, dumped, types, formats, _TEXT)
                self._pending.append(answer)
                return
            name = conn.name(key)
            pgconn.send_prepare(name, native.query, types)
            self._pending.append(key)
        pgconn.send_query_prepared(name, dumped, formats, _TEXT)
        self._pending.append(answer)

    def _sync(self) -> None:
        """Send what is queued with a sync point, in one write, and collect every answer."""
        raw, pgconn = self._raw, self._pgconn
        pending, self._pending = self._pending, []
        pgconn.pipeline_sync()
        failure: Exception | None = None
        for owed in pending:
            if type(owed) is Answer:
                owed.done = True  # collected below, or the error raised below is the answer
        try:
            raw.wait(generators.send(pgconn))
            for owed in pending:
                for result in raw.wait(generators.fetch_many(pgconn)):
                    if result.status not in _OK:
                        failure = failure or _error(result, pgconn)
                        if type(owed) is tuple:  # the server did not prepare it
                            self._conn.prepared.pop(owed, None)
                    elif type(owed) is Answer:
                        owed._add(result)
            raw.wait(generators.fetch_many(pgconn))  # the sync point's own result
        except Exception as exc:
            self._conn.prepared.clear()  # the connection is in doubt: prepare afresh
            _fail(pending, exc)
            raise
        if failure is not None:
            _fail(pending, failure)
            if isinstance(failure, _STATEMENTS_GONE):
                self._conn.prepared.clear()
            raise failure

    def _end_pipeline(self) -> None:
        """Collect what is still owed and leave pipeline mode, raising the first error met."""
        if not self._piped:
            return
        try:
            if self._pending:
                self._sync()
        except BaseException:
            self._piped = False
            with contextlib.suppress(Exception):  # a broken connection: the error above counts
                self._pgconn.exit_pipeline_mode()
            raise
        self._piped = False
        self._pgconn.exit_pipeline_mode()


def _fail(pending: list[Answer | _Key | None], error: Exception) -> None:
    """Every answer of a failed round trip is the error: none is left looking empty."""
    for owed in pending:
        if type(owed) is Answer:
            owed.error = error


def _error(result: Any, pgconn: Any) -> Exception:
    if result.status == pq.ExecStatus.PIPELINE_ABORTED:
        return errors.PipelineAborted("pipeline aborted")
    return errors.error_from_result(result, encoding=pgconn._encoding)
