"""Real concurrency: single-use codes and locked read-modify-write, across threads and processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from threelo.core.ports import Store
from threelo.storage import SqlStore
from threelo.storage.migrate import upgrade

from . import builders as b
from .workers import bump_generation, contend

WORKERS = 8


def _in_parallel(action: Callable[[], Any]) -> list[Any]:
    start = threading.Barrier(WORKERS)

    def run() -> Any:
        start.wait(timeout=30)
        return action()

    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(run) for _ in range(WORKERS)]
        return [future.result(timeout=60) for future in futures]


def test_eight_threads_redeeming_one_code_win_once(store: Store) -> None:
    code = b.code()
    with store.transaction() as tx:
        tx.codes.add(code)

    def redeem() -> bool:
        with store.transaction() as tx:
            return tx.codes.redeem(code.digest, b.at(1)) is not None

    assert sorted(_in_parallel(redeem)) == [False] * (WORKERS - 1) + [True]


def test_eight_threads_spending_one_refresh_token_win_once(store: Store) -> None:
    token = b.refresh_token()
    with store.transaction() as tx:
        tx.refresh_tokens.add(token)

    def spend() -> bool:
        with store.transaction() as tx:
            return tx.refresh_tokens.spend(token.digest, b.at(1))

    assert _in_parallel(spend).count(True) == 1


def test_locking_a_family_serialises_read_modify_write_across_threads(store: Store) -> None:
    family = b.family()
    with store.transaction() as tx:
        tx.families.add(family)
    if isinstance(store, SqlStore):
        _in_parallel(lambda: bump_generation(store, family.family_id))
    else:
        _in_parallel(lambda: _bump_any(store, family.family_id))
    with store.reader() as tx:
        found = tx.families.get(family.family_id)
    assert found is not None and found.generation == WORKERS


def _bump_any(store: Store, family_id: str) -> None:
    import dataclasses

    with store.transaction() as tx:
        family = tx.families.get(family_id, for_update=True)
        assert family is not None
        tx.families.update(dataclasses.replace(family, generation=family.generation + 1))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def sql_url(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> str:
    url = fresh_database_url(request.param)
    upgrade(url)
    return url


def test_eight_processes_lock_the_family_and_redeem_the_code_once(sql_url: str) -> None:
    family, code = b.family(), b.code()
    store = SqlStore(sql_url)
    with store.transaction() as tx:
        tx.families.add(family)
        tx.codes.add(code)
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    results: Any = context.Queue()
    processes = [
        context.Process(target=contend, args=(sql_url, family.family_id, code.digest, go, results))
        for _ in range(WORKERS)
    ]
    try:
        for process in processes:
            process.start()
        go.set()
        wins = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert [process.exitcode for process in processes] == [0] * WORKERS
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
        results.join_thread()
    assert wins.count(True) == 1
    with store.reader() as tx:
        found = tx.families.get(family.family_id)
    store.close()
    assert found is not None and found.generation == WORKERS
