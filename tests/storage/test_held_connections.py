"""The main thread's units of work keep its connection (SQLite file or PostgreSQL), and only a
clean one; other threads use the pool and can never hold it empty."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.storage import builders
from threelo.storage import open_store
from threelo.storage.sql.store import SqlStore


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> str:
    return fresh_database_url(request.param)


@pytest.fixture
def store(url: str) -> SqlStore:
    opened = open_store(url)
    assert isinstance(opened, SqlStore)
    return opened


def _in_transaction(raw: Any) -> bool:
    if hasattr(raw, "in_transaction"):  # sqlite3
        return bool(raw.in_transaction)
    from psycopg.pq import TransactionStatus

    return bool(raw.info.transaction_status != TransactionStatus.IDLE)


def _driver_connection(store: SqlStore) -> object:
    with store.reader() as tx:
        tx.accounts.get("nobody")
        return tx._db._dbapi  # type: ignore[attr-defined]


def test_the_main_thread_reuses_its_connection_and_another_thread_gets_another(
    store: SqlStore,
) -> None:
    try:
        first = _driver_connection(store)
        with store.transaction() as tx:
            tx.accounts.add(builders.account())
        assert _driver_connection(store) is first
        seen: list[object] = []
        thread = threading.Thread(target=lambda: seen.append(_driver_connection(store)))
        thread.start()
        thread.join(timeout=10)
        assert seen and seen[0] is not first
    finally:
        store.close()


def test_a_unit_that_raised_leaves_the_next_unit_nothing_of_its_work(
    store: SqlStore, url: str
) -> None:
    try:
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.accounts.add(builders.account(account_id="acc-rolled-back"))
            raise RuntimeError("boom")
        with store.transaction() as tx:
            assert tx.accounts.get("acc-rolled-back") is None
            tx.accounts.add(builders.account(account_id="acc-kept"))
        # Seen from another connection: the second unit committed, the first did not.
        other = open_store(url, migrate=False)
        try:
            with other.reader() as tx:
                assert tx.accounts.get("acc-kept") is not None
                assert tx.accounts.get("acc-rolled-back") is None
        finally:
            other.close()
    finally:
        store.close()


def test_a_connection_left_inside_a_transaction_is_not_handed_out_again(
    store: SqlStore,
) -> None:
    try:
        with store.transaction() as tx:
            tx.accounts.add(builders.account(account_id="acc-safe"))
        raw = _driver_connection(store)
        # As if a unit had ended half-way through a rollback: a transaction still open.
        if hasattr(raw, "in_transaction"):  # sqlite3 runs in its own autocommit mode here
            raw.execute("BEGIN")  # type: ignore[attr-defined]
        raw.execute("DELETE FROM accounts")  # type: ignore[attr-defined]
        assert _in_transaction(raw)
        with store.transaction() as tx:
            assert tx.accounts.get("acc-safe") is not None
        # The stray delete was rolled back, never committed by a later unit.
        assert not _in_transaction(raw)
        with store.reader() as tx:
            assert tx.accounts.get("acc-safe") is not None
    finally:
        store.close()


def test_more_worker_threads_than_the_pool_holds_all_get_a_connection(store: SqlStore) -> None:
    # SQLAlchemy's SQLite file pool lends 15 connections (5 + 10 overflow), PostgreSQL's 20.
    # Logins and page posts run on worker threads; if each kept its connection, the 16th
    # (21st) would wait 30 s.
    threads = 24
    started = threading.Barrier(threads + 1, timeout=20)
    finished = threading.Barrier(threads + 1, timeout=20)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with store.transaction() as tx:
                tx.accounts.add(builders.account())
            started.wait()  # every thread alive at once, each after a unit of work
            with store.reader() as tx:
                tx.accounts.list()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            finished.wait()

    try:
        _driver_connection(store)  # the main thread holds one too
        pool = [threading.Thread(target=work) for _ in range(threads)]
        for thread in pool:
            thread.start()
        started.wait()
        finished.wait()
        for thread in pool:
            thread.join(timeout=5)
        assert errors == []
        with store.reader() as tx:
            assert len(tx.accounts.list()) == threads
    finally:
        store.close()


def test_closing_the_store_closes_the_connections_it_kept(store: SqlStore) -> None:
    raw = _driver_connection(store)
    store.close()
    with pytest.raises(Exception, match="closed"):
        raw.execute("SELECT 1")  # type: ignore[attr-defined]
