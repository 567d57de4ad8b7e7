"""Running the ``threelo`` command in-process and as a real process, against a fresh database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from threelo.cli.main import main
from threelo.core import passwords
from threelo.core.models import Account, App, Membership, Site
from threelo.storage import open_store

passwords.configure(time_cost=1, memory_cost=8)


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        assert self.err == ""
        assert self.out.count("\n") == 1, self.out
        loaded = json.loads(self.out)
        assert isinstance(loaded, dict)
        return loaded

    def refused(self, status: int = 1) -> str:
        """The one-line reason of a failed run, with nothing on stdout."""
        assert self.code == status, (self.code, self.out, self.err)
        assert self.out == ""
        assert self.err.startswith("threelo: error: ")
        assert self.err.count("\n") == 1 and self.err.endswith("\n"), self.err
        assert "Traceback" not in self.err
        return self.err


Cli = Callable[..., Result]


@pytest.fixture(autouse=True)
def _no_threelo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("THREELO_"):
            monkeypatch.delenv(name)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli(*argv)`` runs ``main(argv)`` in this process and returns its status and output."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def run_process(
    *argv: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Result:
    """``python -m threelo.cli ...`` as a real process."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("THREELO_")}
    full_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "threelo.cli", *argv],
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
    return Result(done.returncode, done.stdout, done.stderr)


class Snapshot(NamedTuple):
    accounts: tuple[Account, ...]
    sites: tuple[Site, ...]
    members: tuple[Membership, ...]
    apps: tuple[App, ...]
    events: tuple[str, ...]
    keys: tuple[str, ...]


def snapshot(url: str) -> Snapshot:
    """Every account, site, membership, app and audit event in the database at ``url``."""
    store = open_store(url)
    try:
        with store.reader() as tx:
            accounts = tuple(tx.accounts.list())
            sites = tuple(tx.sites.list())
            members = tuple(m for s in sites for m in tx.memberships.for_site(s.cloud_id))
            apps = tuple(app for a in accounts for app in tx.apps.list_by_owner(a.account_id))
            events = tuple(e.kind for e in tx.audit.recent(limit=10_000))
            keys = tuple(k.kid for k in tx.keys.list())
        return Snapshot(accounts, sites, members, apps, events, keys)
    finally:
        store.close()


@pytest.fixture
def account(cli: Cli, db_url: str) -> str:
    created = cli(
        "--database-url", db_url, "accounts", "create", "--email", "edward@example.com",
        "--name", "Edward Example", "--password", "correct horse", "--json",
    )  # fmt: skip
    assert created.code == 0, created.err
    account_id: str = created.json()["account_id"]
    return account_id


@pytest.fixture
def site(cli: Cli, db_url: str) -> Iterator[str]:
    created = cli("sites", "create", "--name", "Acme", "--products", "jira", "--json",
                  "--database-url", db_url)  # fmt: skip
    assert created.code == 0, created.err
    yield created.json()["id"]
