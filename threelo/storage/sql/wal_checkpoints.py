"""WAL checkpoints on a thread of their own, so that no request waits for one.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them back into
the database file and syncs both. SQLite runs one by itself inside the ``COMMIT`` that takes
the log past ``wal_autocheckpoint`` pages: that request then waits for the copy and two
``fsync`` calls while it still holds the database's write lock (and, served inline on the event
loop, its worker), so every other writer waits too. Measured on the request path alone
(bench/results/experiments/20261203T120658Z-app-micro-checkpoints.txt): one code exchange in a
hundred took 13-16 ms instead of about 1; with the checkpoints on this thread the 99th
percentile is 1.7-2.3 ms and the 99.9th halves. Through HTTP on a saturated 2-core machine the
throughput stays the same (the copying still costs CPU; experiments/20261203T1152*-1202*,
``bgck-A`` against ``bgck-B``).

A server therefore checkpoints in the background: this thread runs a PASSIVE checkpoint every
``interval`` seconds on a connection of its own. PASSIVE copies what no reader still needs and
never waits for readers or writers (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html), so
the copying, which is most of a checkpoint's cost, runs beside the requests.

A log is only started again from its beginning by a writer that finds *every* frame copied,
and under steady writes some always arrive during the copy. Once the log holds
``restart_frames`` frames, the thread therefore finishes with a second PASSIVE checkpoint while
it holds the writer lock: that one copies only what was written meanwhile, the next writer
restarts the log, and the file stays small. The units of work keep a high
``wal_autocheckpoint`` as a backstop (:data:`~threelo.storage.sql.engine.AUTOCHECKPOINT_PAGES`).
Several server processes may each run one; a checkpoint that finds another in progress just
returns (``busy``).
"""

from __future__ import annotations

import logging
import pathlib
import sqlite3
import threading
from typing import NamedTuple

from threelo.storage.sql.writer_lock import WriterLock

log = logging.getLogger("threelo")

INTERVAL_S = 0.1
RESTART_FRAMES = 1000  # SQLite's own default checkpoint threshold


class Checkpoint(NamedTuple):
    """``PRAGMA wal_checkpoint``'s answer: whether it was blocked, the frames in the log and
    how many of them are now in the database file."""

    busy: bool
    log_frames: int
    copied_frames: int


class WalCheckpointer:
    def __init__(
        self,
        database_path: str,
        lock: WriterLock,
        *,
        interval: float | None = None,
        restart_frames: int | None = None,
    ) -> None:
        self._path = database_path
        self._lock = lock
        self._interval = INTERVAL_S if interval is None else interval
        self._restart_frames = RESTART_FRAMES if restart_frames is None else restart_frames
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: Checkpoint | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="threelo-wal-checkpoints", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        connection: sqlite3.Connection | None = None
        failing = False
        try:
            while not self._stop.wait(self._interval):
                try:
                    if connection is None:
                        # mode=rw: never create a database that is not there.
                        uri = f"{pathlib.Path(self._path).resolve().as_uri()}?mode=rw"
                        connection = sqlite3.connect(uri, uri=True, isolation_level=None)
                    self.last = self.run_once(connection)
                    failing = False
                except sqlite3.Error:
                    # The file may be briefly locked, moved or being restored; the units of
                    # work's own backstop checkpoint still bounds the log meanwhile.
                    if not failing:
                        log.warning("WAL checkpoint failed; trying again", exc_info=True)
                    failing = True
                    if connection is not None:
                        connection.close()
                        connection = None
        finally:
            if connection is not None:
                connection.close()

    def run_once(self, connection: sqlite3.Connection) -> Checkpoint:
        done = checkpoint(connection)
        if done.log_frames >= self._restart_frames:
            self._lock.acquire()
            try:
                done = checkpoint(connection)
            finally:
                self._lock.release()
        return done


def checkpoint(connection: sqlite3.Connection) -> Checkpoint:
    busy, log_frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return Checkpoint(bool(busy), int(log_frames), int(copied))
