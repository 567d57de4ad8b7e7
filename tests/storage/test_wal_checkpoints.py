"""A served SQLite file is checkpointed beside the requests, and its log stays small."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.storage import builders
from threelo.settings import Settings
from threelo.storage import MemoryStore, open_store
from threelo.storage.sql import engine as engines
from threelo.storage.sql import wal_checkpoints
from threelo.storage.sql.store import SqlStore
from threelo.storage.sql.wal_checkpoints import WalCheckpointer
from threelo.storage.sql.writer_lock import WriterLock
from threelo.web.app import create_app

PAGE = 4096


@pytest.fixture
def database(tmp_path: Path, _sqlite_template: Path) -> Path:
    path = tmp_path / "threelo.db"
    shutil.copyfile(_sqlite_template, path)
    return path


@pytest.fixture
def no_autocheckpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Units of work that never checkpoint: the log shrinks only if the thread does its job,
    which here runs every 10 ms and restarts it past 50 frames (a few dozen commits)."""
    monkeypatch.setattr(engines, "AUTOCHECKPOINT_PAGES", 0)
    monkeypatch.setattr(wal_checkpoints, "RESTART_FRAMES", 50)
    monkeypatch.setattr(wal_checkpoints, "INTERVAL_S", 0.01)


def _open(path: Path) -> SqlStore:
    store = open_store(f"sqlite:///{path}")
    assert isinstance(store, SqlStore)
    return store


def _open_checkpointed(path: Path) -> tuple[SqlStore, WalCheckpointer]:
    store = _open(path)
    assert store.checkpointer is not None
    return store, store.checkpointer


def _write_accounts(store: SqlStore, n: int) -> None:
    for _ in range(n):
        with store.transaction() as tx:
            tx.accounts.add(builders.account())


def _wal_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.usefixtures("no_autocheckpoint")
def test_without_checkpoints_the_log_keeps_every_commit(database: Path) -> None:
    # The control for the test below: 300 commits of a few pages each leave >1 MiB of log.
    store = _open(database)
    try:
        _write_accounts(store, 300)
        assert _wal_bytes(database) > 300 * PAGE
    finally:
        store.close()


@pytest.mark.usefixtures("no_autocheckpoint")
def test_background_checkpoints_copy_the_log_back_and_it_starts_again(database: Path) -> None:
    store, checkpointer = _open_checkpointed(database)
    store.start_background_work()
    try:
        assert checkpointer.running
        for _ in range(30):
            _write_accounts(store, 10)
            time.sleep(0.01)
        assert _wait_for(
            lambda: (
                checkpointer.last is not None
                and not checkpointer.last.busy
                and checkpointer.last.copied_frames == checkpointer.last.log_frames
            )
        ), checkpointer.last
        # The writers restarted the log from its beginning: it never held all 300 commits.
        assert _wal_bytes(database) < 300 * PAGE
        with store.reader() as tx:
            assert len(tx.accounts.list()) >= 300
    finally:
        store.close()
    assert not checkpointer.running


def test_the_database_file_holds_the_commits_once_checkpointed(database: Path) -> None:
    store, checkpointer = _open_checkpointed(database)
    store.start_background_work()
    try:
        with store.transaction() as tx:
            tx.accounts.add(builders.account(account_id="acc-durable"))
        assert _wait_for(
            lambda: checkpointer.last is not None and checkpointer.last.copied_frames > 0
        )
    finally:
        store.stop_background_work()
    # A copy of the main file alone (no -wal beside it) already has the row.
    copy = database.with_name("copy.db")
    shutil.copyfile(database, copy)
    other = _open(copy)
    try:
        with other.reader() as tx:
            assert tx.accounts.get("acc-durable") is not None
    finally:
        other.close()
        store.close()


def test_a_checkpointer_without_its_file_keeps_trying_and_never_creates_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "removed.db"
    checkpointer = WalCheckpointer(str(path), WriterLock(str(path)), interval=0.01)
    checkpointer.start()
    try:
        time.sleep(0.1)
        assert checkpointer.running
        assert checkpointer.last is None
        assert not path.exists()
    finally:
        checkpointer.stop()
    assert not checkpointer.running


def test_the_server_checkpoints_while_it_runs_and_stops_at_shutdown(database: Path) -> None:
    store, checkpointer = _open_checkpointed(database)
    app = create_app(Settings(database_url=f"sqlite:///{database}"), store=store)

    async def serve() -> bool:
        async with app.router.lifespan_context(app):
            return checkpointer.running

    try:
        assert asyncio.run(serve())
        assert not checkpointer.running
    finally:
        store.close()


def test_stores_without_a_log_have_nothing_to_run() -> None:
    memory = MemoryStore()
    memory.start_background_work()
    memory.stop_background_work()
    in_memory_sqlite = open_store("sqlite://")
    assert isinstance(in_memory_sqlite, SqlStore)
    assert in_memory_sqlite.checkpointer is None
    in_memory_sqlite.start_background_work()
    in_memory_sqlite.close()
