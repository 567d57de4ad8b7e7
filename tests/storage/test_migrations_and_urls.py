"""Migrations, URLs, engine settings and the exception boundary of the SQL store."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, UniqueConstraint, create_engine, inspect

from threelo.storage import MemoryStore, SqlStore, StorageUnavailable, open_store
from threelo.storage.migrate import alembic_config, current_revision, upgrade, upgrade_engine
from threelo.storage.sql import engine as engine_module
from threelo.storage.sql.engine import create_bare, normalise_url
from threelo.storage.sql.tables import metadata

from . import builders as b

SQL_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_the_initial_migration_creates_exactly_the_table_metadata(
    kind: str, fresh_database_url: Callable[[str], str]
) -> None:
    store = SqlStore(fresh_database_url(kind))
    upgrade_engine(store.engine, "0001_initial")
    reflected = MetaData()
    reflected.reflect(store.engine)
    inspector = inspect(store.engine)
    unique = {
        name: {tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)}
        for name in metadata.tables
    }
    store.close()
    assert set(reflected.tables) - {"alembic_version"} == set(metadata.tables)
    for name, table in metadata.tables.items():
        found = reflected.tables[name]
        assert [c.name for c in found.columns] == [c.name for c in table.columns], name
        assert {c.name: c.nullable for c in found.columns} == {
            c.name: c.nullable for c in table.columns
        }, name
        assert [c.name for c in found.primary_key] == [c.name for c in table.primary_key], name
        assert {i.name for i in found.indexes} == {i.name for i in table.indexes}, name
        assert unique[name] == {
            tuple(c.name for c in u.columns)
            for u in table.constraints
            if isinstance(u, UniqueConstraint)
        }, name
        assert {(fk.parent.name, fk.target_fullname) for fk in found.foreign_keys} == {
            (fk.parent.name, fk.target_fullname) for fk in table.foreign_keys
        }, name


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_upgrade_records_the_head_revision_and_is_idempotent(
    kind: str, fresh_database_url: Callable[[str], str]
) -> None:
    url = fresh_database_url(kind)
    assert current_revision(url) is None
    upgrade(url)
    upgrade(url)
    assert current_revision(url) == HEAD


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_processes_starting_together_migrate_once(
    kind: str, fresh_database_url: Callable[[str], str]
) -> None:
    url = fresh_database_url(kind)
    failures: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(url)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert current_revision(url) == HEAD


def test_open_store_picks_the_store_by_url(fresh_database_url: Callable[[str], str]) -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    in_memory = open_store("sqlite://")
    assert isinstance(in_memory, SqlStore) and in_memory.dialect_name == "sqlite"
    with in_memory.transaction() as tx:
        tx.accounts.add(b.account(account_id="a1"))
    with in_memory.reader() as tx:
        assert tx.accounts.get("a1") is not None
    in_memory.close()
    unmigrated = open_store(fresh_database_url("sqlite"), migrate=False)
    assert isinstance(unmigrated, SqlStore)
    assert inspect(unmigrated.engine).get_table_names() == []
    unmigrated.close()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgres://u@db.example:5433/threelo", "postgresql+psycopg"),
        ("postgresql://u@db.example/threelo", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db.example/threelo", "postgresql+psycopg"),
        ("sqlite:///var/threelo.db", "sqlite"),
        ("sqlite://", "sqlite"),
    ],
)
def test_database_urls_are_normalised(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", "redis://localhost"])
def test_unsupported_urls_raise_value_error(url: str) -> None:
    with pytest.raises(ValueError):
        SqlStore(url)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(
    fresh_database_url: Callable[[str], str],
) -> None:
    store = SqlStore(fresh_database_url("sqlite"))
    with store.engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    store.close()
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 10000,
                      "foreign_keys": 1}  # fmt: skip


def test_opening_a_new_file_waits_while_another_connection_holds_a_lock(tmp_path: Path) -> None:
    # Two server workers opening a fresh database together: switching it to WAL needs an
    # exclusive lock, which SQLite refuses at once (no busy handler) while a lock is held.
    path = tmp_path / "new.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (x INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(0.3, other.execute, args=("COMMIT",))
    releaser.start()
    engine = create_bare(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        releaser.join()
        engine.dispose()
        other.close()
    assert mode == "wal"


def test_an_unreachable_database_raises_storage_unavailable() -> None:
    store = SqlStore("postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2")
    with pytest.raises(StorageUnavailable), store.reader() as tx:
        tx.accounts.list()
    store.close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_database_that_never_answers_fails_the_unit_within_the_connect_timeout(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Units run on the server's event loop: a hung connect must not hold the process for long.
    monkeypatch.setattr(engine_module, "CONNECT_TIMEOUT_S", 1)
    store = SqlStore(f"postgresql://postgres@127.0.0.1:{silent_server}/test")
    raised: list[BaseException] = []

    def unit() -> None:
        try:
            with store.reader() as tx:
                tx.accounts.list()
        except BaseException as exc:  # checked below
            raised.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=unit, daemon=True)
    thread.start()
    thread.join(10)  # libpq may try twice (with and without SSL): about 2 s
    assert not thread.is_alive(), "the connect did not time out"
    assert time.monotonic() - started < 10
    assert len(raised) == 1 and isinstance(raised[0], StorageUnavailable)
    store.close()


def test_a_missing_schema_raises_storage_unavailable_not_a_driver_error(
    fresh_database_url: Callable[[str], str],
) -> None:
    store = SqlStore(fresh_database_url("sqlite"))
    with pytest.raises(StorageUnavailable), store.reader() as tx:
        tx.accounts.get("a1")
    store.close()


@pytest.mark.postgres
def test_the_store_recovers_when_the_server_drops_its_connection(
    fresh_database_url: Callable[[str], str],
) -> None:
    store = open_store(fresh_database_url("postgresql"))
    assert isinstance(store, SqlStore)
    with store.engine.connect() as connection:  # the one connection the pool now holds
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = create_engine(store.engine.url)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
    admin.dispose()
    with store.transaction() as tx:
        tx.accounts.add(b.account(account_id="after-drop"))
    with store.reader() as tx:
        assert tx.accounts.get("after-drop") is not None
    store.close()
