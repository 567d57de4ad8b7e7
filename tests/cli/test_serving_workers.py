"""How many server processes `threelo serve` runs, and what they are told."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import cast

import pytest

from threelo.core.ports import Store
from threelo.settings import Settings, SettingsError, load_settings
from threelo.storage.memory import MemoryStore
from threelo.storage.sql.engine import POOL_SIZE
from threelo.web import server
from threelo.web.app import build_context


def test_sqlite_is_served_by_up_to_two_processes_and_postgresql_by_one_per_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for cores, expected in ((1, 1), (2, 2), (8, 2)):
        monkeypatch.setattr(server.os, "cpu_count", lambda cores=cores: cores)
        assert server.worker_count(Settings(database_url="sqlite:///x.db")) == expected
    monkeypatch.undo()
    # An in-memory database exists in one process only: a second would see another database.
    assert server.worker_count(Settings(database_url="sqlite://")) == 1
    assert server.worker_count(Settings(database_url="sqlite:///:memory:")) == 1
    pg = Settings(database_url="postgresql://postgres@127.0.0.1/test")
    # Store calls on the event loop: two processes per core, so one's wait is another's turn.
    assert server.worker_count(pg) == 2 * (os.cpu_count() or 1)
    threaded = Settings(database_url="postgresql://postgres@127.0.0.1/test", store_threads=4)
    assert server.worker_count(threaded) == (os.cpu_count() or 1)
    assert server.worker_count(Settings(database_url="sqlite:///x.db", workers=3)) == 3


def test_worker_processes_get_the_settings_the_command_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    for name in ("THREELO_DATABASE_URL", "THREELO_ISSUER", "THREELO_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        database_url="sqlite:///demo.db", issuer="http://127.0.0.1:9123", workers=2,
        secret_key="k" * 40,
    )  # fmt: skip
    server.serve(settings, "127.0.0.1", 9123)
    assert seen["workers"] == 2 and seen["factory"] is True
    assert seen["http"] == server.HTTP_PROTOCOL  # each response in one socket write
    assert os.environ["THREELO_DATABASE_URL"] == "sqlite:///demo.db"
    assert os.environ["THREELO_ISSUER"] == "http://127.0.0.1:9123"
    assert os.environ["THREELO_SECRET_KEY"] == "k" * 40


def test_store_calls_run_on_the_event_loop_unless_threads_are_asked_for() -> None:
    pg = cast(Store, SimpleNamespace(dialect_name="postgresql"))
    ctx = build_context(Settings(), store=pg)
    assert ctx.inline_store
    ctx = build_context(Settings(store_threads=3), store=pg)
    assert not ctx.inline_store and ctx.store_concurrency == 3
    # An embedded store answers in microseconds: never worth a thread.
    ctx = build_context(Settings(store_threads=3), store=MemoryStore())
    assert ctx.inline_store


def test_store_threads_setting_is_a_count_no_larger_than_the_pool() -> None:
    assert load_settings({}).store_threads == 0
    assert load_settings({"THREELO_STORE_THREADS": "4"}).store_threads == 4
    assert load_settings({"THREELO_STORE_THREADS": str(POOL_SIZE)}).store_threads == POOL_SIZE
    for bad in ("-1", str(POOL_SIZE + 1), "four", "", "2.5"):
        with pytest.raises(SettingsError, match="THREELO_STORE_THREADS must be a whole number"):
            load_settings({"THREELO_STORE_THREADS": bad})
