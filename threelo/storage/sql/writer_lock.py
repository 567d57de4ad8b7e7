"""One SQLite writer at a time across threads and processes, queued instead of polled.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps in
growing steps (1 ms, 2 ms, 5 ms, ... up to 100 ms) and so wastes most of a contended second.
Writers take this lock first: a thread lock inside the process, then an advisory ``flock`` on
a file beside the database shared by every process, which the kernel hands over the moment it
is released. Readers never take it (WAL lets them run beside the writer).
"""

from __future__ import annotations

import fcntl
import os
import threading


class WriterLock:
    def __init__(self, database_path: str) -> None:
        self._path = database_path + ".writelock"
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            if self._depth == 0:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
