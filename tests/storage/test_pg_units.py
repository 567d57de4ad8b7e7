"""PostgreSQL units of work send their own BEGIN and COMMIT, pipelined (storage/sql/pg_pipeline.py):
the connections they hand back must be as the pool lent them, and a connection that died in the
pool is replaced before the unit has said anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import pq

from tests.storage import builders
from threelo.core.models import AuditEvent
from threelo.core.ports import Conflict
from threelo.storage import open_store
from threelo.storage.sql.store import SqlStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(fresh_database_url: Callable[[str], str]) -> Iterator[SqlStore]:
    store = open_store(fresh_database_url("postgresql"))
    assert isinstance(store, SqlStore)
    try:
        yield store
    finally:
        store.close()


def _driver(tx: Any) -> psycopg.Connection[Any]:
    connection: psycopg.Connection[Any] = tx._db._dbapi
    return connection


def _assert_as_lent(store: SqlStore, expected: psycopg.Connection[Any]) -> None:
    # The main thread keeps its connection between units (store.py), in the state the pool
    # lends connections in, and the next unit gets it again.
    assert expected.autocommit is False
    assert expected.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert expected.info.transaction_status == pq.TransactionStatus.IDLE
    with store.reader() as tx:
        assert _driver(tx) is expected


def test_every_kind_of_unit_hands_its_connection_back_as_it_was_lent(pg_store: SqlStore) -> None:
    with pg_store.transaction() as tx:
        tx.accounts.add(builders.account(account_id="acc-1"))
        tx.audit.add(AuditEvent(kind="unit.test", at=builders.at(1)))  # deferred
        raw = _driver(tx)
    _assert_as_lent(pg_store, raw)
    with pg_store.reader() as tx:
        assert tx.accounts.get("acc-1") is not None
        assert _driver(tx) is raw
    _assert_as_lent(pg_store, raw)
    family = builders.family()
    with pg_store.transaction() as tx:
        tx.families.add(family)  # deferred: collected by the COMMIT
    _assert_as_lent(pg_store, raw)
    with pytest.raises(Conflict), pg_store.transaction() as tx:
        tx.families.add(builders.family(family_id=family.family_id))  # fails at COMMIT
    _assert_as_lent(pg_store, raw)
    with pytest.raises(RuntimeError), pg_store.transaction() as tx:
        tx.families.add(builders.family())
        raise RuntimeError("boom")
    _assert_as_lent(pg_store, raw)
    with pg_store.reader() as tx:
        assert tx.families.get(family.family_id) == family
        assert len(tx.families.for_grant(family.grant_id)) == 1


def _terminate(store: SqlStore, admin_url: str) -> None:
    with store.reader() as tx:
        tx.accounts.get("nobody")
        pid = _driver(tx).info.backend_pid
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("writing", [True, False], ids=["writer", "reader"])
def test_a_connection_that_died_in_the_pool_is_replaced_for_the_next_unit(
    pg_store: SqlStore, postgres_admin_url: str, writing: bool
) -> None:
    with pg_store.transaction() as tx:
        tx.accounts.add(builders.account(account_id="acc-1"))
    _terminate(pg_store, postgres_admin_url)
    if writing:
        with pg_store.transaction() as tx:
            assert tx.accounts.get("acc-1") is not None
            tx.families.add(family := builders.family())
        with pg_store.reader() as tx:
            assert tx.families.get(family.family_id) == family
    else:
        with pg_store.reader() as tx:
            assert tx.accounts.get("acc-1") is not None
