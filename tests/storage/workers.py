"""Work done in child processes (spawned, so importable at module level)."""

from __future__ import annotations

import dataclasses
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event

from threelo.storage import SqlStore

from . import builders as b


def bump_generation(store: SqlStore, family_id: str) -> None:
    """Read-modify-write under the family's lock: the rotation pattern."""
    with store.transaction() as tx:
        family = tx.families.get(family_id, for_update=True)
        assert family is not None
        time.sleep(0.002)  # widen the window a lost update would need
        tx.families.update(dataclasses.replace(family, generation=family.generation + 1))


def contend(url: str, family_id: str, code_digest: str, go: Event, results: Queue[bool]) -> None:
    store = SqlStore(url)
    try:
        if not go.wait(30):
            raise TimeoutError("never told to start")
        bump_generation(store, family_id)
        with store.transaction() as tx:
            results.put(tx.codes.redeem(code_digest, b.at(1)) is not None)
    finally:
        store.close()
