"""Micro-benchmark of the SQL store: the store work of one code exchange and one refresh.

Replays the repository calls that ``threelo/core/grants/authorization_code.py`` and
``threelo/core/grants/refresh_token.py`` make inside the token endpoint's unit of work (with
the client lookup of ``client_auth``), on a temporary SQLite file and, with ``--postgres URL``,
on PostgreSQL. Prints microseconds and SQL statements per operation.

    python bench/storage_micro.py [-n 2000] [--repeat 3] [--postgres postgresql://...]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_db import scratch_database
from threelo.core.models import (
    Account,
    App,
    AuthorizationCode,
    Grant,
    RefreshToken,
    Site,
    TokenFamily,
)
from threelo.core.secret_values import digest, new_id, new_secret
from threelo.storage import open_store
from threelo.storage.sql.boundary import Db
from threelo.storage.sql.store import SqlStore

SCOPES = ("read:me", "read:jira-work", "offline_access")


class Fixture:
    """One account, app, two sites and a grant: what every exchange and refresh reads."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        now = datetime.now(UTC)
        self.account = Account(new_id(), f"{new_id()}@example.com", "Ada", "h", created_at=now)
        self.app = App(
            new_id(), "Bench", self.account.account_id, ("https://app.example/cb",), SCOPES,
            secret_digest="ab" * 32, created_at=now,
        )  # fmt: skip
        self.sites = frozenset({new_id(), new_id()})
        self.grant = Grant(
            new_id(), self.app.client_id, self.account.account_id, SCOPES, self.sites, 1, now, now
        )
        with store.transaction() as tx:
            tx.accounts.add(self.account)
            tx.apps.add(self.app)
            for cloud_id in sorted(self.sites):
                tx.sites.add(Site(cloud_id, "s", "https://s.example", "", ("jira",)))
            tx.grants.add(self.grant)
        self.refresh_value = self._start_refresh_family()

    def new_code(self) -> str:
        now = datetime.now(UTC)
        value = new_secret()
        code = AuthorizationCode(
            digest(value), self.app.client_id, self.account.account_id, self.grant.grant_id,
            "https://app.example/cb", SCOPES, self.sites, None, now, now + timedelta(minutes=1),
        )  # fmt: skip
        with self.store.transaction() as tx:
            tx.codes.add(code)
        return value

    def _start_refresh_family(self) -> str:
        now = datetime.now(UTC)
        family = TokenFamily(
            new_id(), self.grant.grant_id, self.app.client_id, self.account.account_id,
            self.sites, True, now, now, generation=1, rotated_at=now,
        )  # fmt: skip
        value = new_secret()
        with self.store.transaction() as tx:
            tx.families.add(family)
            tx.refresh_tokens.add(RefreshToken(digest(value), family.family_id, 1, now))
        return value

    # -- the two sequences -----------------------------------------------------------------

    def exchange(self, value: str) -> None:
        """``AuthorizationCodeGrant.handle`` on its success path (offline access)."""
        now = datetime.now(UTC)
        key = digest(value)
        with self.store.transaction() as tx:
            app = tx.apps.get(self.app.client_id)
            code = tx.codes.redeem(key, now)
            assert app is not None and code is not None
            grant = tx.grants.get(code.grant_id)
            account = tx.accounts.get(code.account_id)
            assert grant is not None and account is not None and account.active
            family = TokenFamily(
                new_id(), grant.grant_id, app.client_id, grant.account_id, code.sites,
                True, now, now, generation=1, rotated_at=now,
            )  # fmt: skip
            tx.families.add(family)
            tx.codes.set_family(code.digest, family.family_id)
            tx.grants.touch(grant.grant_id, now)
            tx.refresh_tokens.add(RefreshToken(digest(new_secret()), family.family_id, 1, now))

    def refresh(self) -> None:
        """``RefreshTokenGrant.handle`` on its success path (a rotation)."""
        now = datetime.now(UTC)
        key = digest(self.refresh_value)
        with self.store.transaction() as tx:
            app = tx.apps.get(self.app.client_id)
            found = tx.refresh_tokens.get(key)
            assert app is not None and found is not None
            family = tx.families.get(found.family_id, for_update=True)
            token = tx.refresh_tokens.get(key)
            assert family is not None and token is not None and family.revoked_at is None
            grant = tx.grants.get(family.grant_id)
            account = tx.accounts.get(family.account_id)
            assert grant is not None and account is not None and account.active
            current = family.generation
            assert token.spent_at is None and token.generation == current
            assert tx.refresh_tokens.spend(token.digest, now)
            tx.refresh_tokens.spend_generation(family.family_id, current, now)
            family = replace(family, generation=current + 1, rotated_at=now, last_used_at=now)
            tx.families.update(family)
            value = new_secret()
            tx.refresh_tokens.add(RefreshToken(digest(value), family.family_id, current + 1, now))
            tx.grants.touch(grant.grant_id, now)
        self.refresh_value = value


def count_statements(store: SqlStore, fixture: Fixture, iterations: int) -> dict[str, float]:
    """SQL statements per operation (BEGIN and COMMIT included), counted by a
    ``before_cursor_execute`` listener and on the store's driver-cursor path.

    The listener is on the ``Engine`` class, so that it sees every engine the store uses; any
    connection event makes SQLAlchemy dispatch events around every statement, so statements
    are counted only after all timing is done.
    """
    count = 0

    def on_execute(*_: Any) -> None:
        nonlocal count
        count += 1

    event.listen(Engine, "before_cursor_execute", on_execute)
    # The store runs its own statements on the driver cursor, out of SQLAlchemy's sight.
    original_cursor, original_begin = Db._cursor, Db._begin

    def counted_cursor(self: Db, *args: Any) -> Any:
        nonlocal count
        count += 1
        return original_cursor(self, *args)

    def counted_begin(self: Db) -> None:
        nonlocal count
        count += 2  # BEGIN, and the COMMIT or ROLLBACK that ends the unit
        original_begin(self)

    Db._cursor, Db._begin = counted_cursor, counted_begin  # type: ignore[method-assign]
    try:
        found = {}
        for name, operation in operations(store, fixture, iterations):
            before = count
            for _ in range(iterations):
                operation()
            found[name] = (count - before) / iterations
        return found
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        Db._cursor, Db._begin = original_cursor, original_begin  # type: ignore[method-assign]


def operations(
    store: SqlStore, fixture: Fixture, iterations: int
) -> list[tuple[str, Callable[[], None]]]:
    pending = iter([fixture.new_code() for _ in range(iterations)])

    def exchange() -> None:
        fixture.exchange(next(pending))

    def empty() -> None:
        with store.transaction():
            pass

    return [("code exchange", exchange), ("refresh", fixture.refresh), ("empty unit", empty)]


def timed(operation: Callable[[], None], iterations: int) -> tuple[float, float]:
    """Mean wall-clock and CPU (this process) microseconds of one ``operation``."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(iterations):
        operation()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall / iterations * 1e6, cpu / iterations * 1e6


class Run:
    def __init__(self, label: str, url: str) -> None:
        self.label = label
        store = open_store(url)
        assert isinstance(store, SqlStore)
        self.store = store
        self.fixture = Fixture(store)
        self.walls: dict[str, list[float]] = {}
        self.cpus: dict[str, list[float]] = {}

    def time(self, iterations: int, repeat: int) -> None:
        for round_ in range(repeat + 1):  # the first round warms caches and is not reported
            for name, operation in operations(self.store, self.fixture, iterations):
                wall, cpu = timed(operation, iterations)
                if round_:
                    self.walls.setdefault(name, []).append(wall)
                    self.cpus.setdefault(name, []).append(cpu)

    def report(self, iterations: int, repeat: int) -> None:
        statements = count_statements(self.store, self.fixture, min(iterations, 50))
        print(f"{self.label}: {iterations} iterations x {repeat} rounds (best round; median)")
        for name, cpu in self.cpus.items():
            wall = self.walls[name]
            print(
                f"  {name:14s} cpu {min(cpu):6.0f} us/op ({statistics.median(cpu):.0f})"
                f"  wall {min(wall):6.0f} us/op ({statistics.median(wall):.0f})"
                f"  {statements[name]:.0f} statements/op"
            )
        self.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--iterations", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run on this PostgreSQL server (in a scratch database beside URL's, dropped after)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        runs = []
        if not args.no_sqlite:
            runs.append(Run("sqlite (file, WAL)", f"sqlite:///{folder}/bench.db"))
        if args.postgres:
            runs.append(Run("postgresql", stack.enter_context(scratch_database(args.postgres))))
        for run in runs:
            run.time(args.iterations, args.repeat)
        for run in runs:
            run.report(args.iterations, args.repeat)


if __name__ == "__main__":
    main()
