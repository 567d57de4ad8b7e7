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
from threelo.storage.errors import StorageUnavailable
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


def _prepared_on(raw: psycopg.Connection[Any]) -> set[str]:
    """The statements a connection, between units, has prepared on the server."""
    names = {row[0] for row in raw.execute("SELECT name FROM pg_prepared_statements")}
    raw.rollback()
    return names


def test_statements_are_prepared_once_per_connection_and_reused(pg_store: SqlStore) -> None:
    with pg_store.transaction() as tx:
        tx.accounts.add(builders.account(account_id="acc-1"))
    with pg_store.reader() as tx:
        assert tx.accounts.get("acc-1") is not None
        raw = _driver(tx)
    first = _prepared_on(raw)
    assert first and all(name.startswith("threelo_") for name in first)
    for _ in range(3):
        with pg_store.reader() as tx:
            assert tx.accounts.get("acc-1") is not None
            assert _driver(tx) is raw
    assert _prepared_on(raw) == first  # the same read ran three more times, as prepared


def test_a_rolled_back_unit_keeps_the_connections_prepared_statements(pg_store: SqlStore) -> None:
    # A driver that prepares statements of its own answers ROLLBACK with DEALLOCATE ALL; the
    # units' statements must outlive a refused request's rollback.
    with pg_store.transaction() as tx:
        tx.accounts.add(builders.account(account_id="acc-1"))
    with pg_store.reader() as tx:
        assert tx.accounts.get("acc-1") is not None  # prepared
        raw = _driver(tx)
    for _ in range(6):  # past psycopg's default prepare threshold, in one transaction
        raw.execute("SELECT 1").fetchall()  # the driver's own path, as SQLAlchemy uses it
    raw.commit()
    with pytest.raises(RuntimeError), pg_store.transaction() as tx:
        assert tx.accounts.get("acc-1") is not None
        raise RuntimeError("refused")
    with pg_store.transaction() as tx:
        assert tx.accounts.get("acc-1") is not None
        assert _driver(tx) is raw


def test_statements_dropped_behind_a_units_back_are_prepared_again(pg_store: SqlStore) -> None:
    with pg_store.transaction() as tx:
        tx.accounts.add(builders.account(account_id="acc-1"))
    with pg_store.reader() as tx:
        assert tx.accounts.get("acc-1") is not None
        raw = _driver(tx)
    raw.execute("DEALLOCATE ALL")
    raw.rollback()
    with pytest.raises(StorageUnavailable), pg_store.reader() as tx:
        tx.accounts.get("acc-1")  # the one unit that meets it fails
    with pg_store.reader() as tx:
        assert tx.accounts.get("acc-1") is not None
    assert _prepared_on(raw)


def test_a_statement_whose_values_change_type_gets_a_statement_of_its_own(
    pg_store: SqlStore,
) -> None:
    # psycopg sends a small int as int2 and a larger one as int4: a statement prepared
    # for one type must not be run with values of another.
    small, large = builders.family(generation=1), builders.family(generation=70_000)
    with pg_store.transaction() as tx:
        tx.families.add(small)
        tx.families.add(large)
    with pg_store.reader() as tx:
        assert tx.families.get(small.family_id) == small
        assert tx.families.get(large.family_id) == large


def test_a_unit_that_failed_mid_pipeline_leaves_no_statement_half_prepared(
    pg_store: SqlStore,
) -> None:
    family = builders.family()
    with pg_store.transaction() as tx:
        tx.families.add(family)
    # The duplicate insert fails on the server; everything queued after it in the same round
    # trip, the first use of the code table's insert included, is skipped unprepared.
    with pytest.raises(Conflict), pg_store.transaction() as tx:
        tx.families.add(builders.family(family_id=family.family_id))
        tx.codes.add(code := builders.code())
    with pg_store.transaction() as tx:
        tx.codes.add(code)
    with pg_store.reader() as tx:
        assert tx.codes.get(code.digest) == code
        assert tx.families.get(family.family_id) == family


def test_a_later_read_is_resent_when_the_pooled_connection_had_died(
    pg_store: SqlStore, postgres_admin_url: str
) -> None:
    app = builders.app()
    with pg_store.transaction() as tx:
        tx.accounts.add(builders.account(account_id=app.owner_id))
        tx.apps.add(app)
    _terminate(pg_store, postgres_admin_url)
    with pg_store.transaction() as tx:
        later = tx.apps.get_later(app.client_id)  # queued, not sent: the unit is untouched
        assert tx.accounts.get(app.owner_id) is not None  # meets the dead connection, retries
        assert later() == app


def test_a_later_read_whose_round_trip_failed_raises_instead_of_finding_nothing(
    pg_store: SqlStore,
) -> None:
    app, family = builders.app(), builders.family()
    with pg_store.transaction() as tx:
        tx.accounts.add(builders.account(account_id=app.owner_id))
        tx.apps.add(app)
        tx.families.add(family)
    with pytest.raises(Conflict), pg_store.transaction() as tx:
        tx.families.add(builders.family(family_id=family.family_id))  # fails on the server
        later = tx.apps.get_later(app.client_id)  # skipped there: the pipeline is aborted
        with pytest.raises(Conflict):
            tx.accounts.get(app.owner_id)  # the round trip that meets the error
        later()  # not "no such app": the error again
