"""SQLite writers queue on one lock shared by threads and processes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from threelo.storage.sql.writer_lock import WriterLock


def test_a_second_thread_waits_until_the_writer_is_done(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "db.sqlite"))
    order: list[str] = []
    lock.acquire()

    def other() -> None:
        lock.acquire()
        order.append("other")
        lock.release()

    thread = threading.Thread(target=other)
    thread.start()
    time.sleep(0.1)
    order.append("first")
    lock.release()
    thread.join(timeout=5)
    assert order == ["first", "other"]
    assert (tmp_path / "db.sqlite.writelock").exists()


def test_the_same_thread_may_nest_and_the_lock_is_free_after(tmp_path: Path) -> None:
    first = WriterLock(str(tmp_path / "db.sqlite"))
    first.acquire()
    first.acquire()
    first.release()
    first.release()
    # Another holder (as another process would, through its own file descriptor) gets in.
    second = WriterLock(str(tmp_path / "db.sqlite"))
    done = threading.Event()

    def take() -> None:
        second.acquire()
        second.release()
        done.set()

    threading.Thread(target=take).start()
    assert done.wait(timeout=5)
    first.close()
    second.close()


def test_a_writer_in_another_descriptor_blocks_until_released(tmp_path: Path) -> None:
    holder = WriterLock(str(tmp_path / "db.sqlite"))
    waiter = WriterLock(str(tmp_path / "db.sqlite"))
    holder.acquire()
    got_in = threading.Event()

    def wait() -> None:
        waiter.acquire()
        got_in.set()
        waiter.release()

    threading.Thread(target=wait).start()
    assert not got_in.wait(timeout=0.2)
    holder.release()
    assert got_in.wait(timeout=5)
