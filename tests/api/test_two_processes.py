"""Two server processes on one PostgreSQL: a revocation made anywhere is refused by every
process within 5 seconds (CONTRACT §1)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from threelo.core.clock import SystemClock
from threelo.core.platform import Platform
from threelo.core.policy import Policy
from threelo.storage import open_store

from .conftest import ISSUER, World, bearer, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def start(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, THREELO_DATABASE_URL=database_url, THREELO_ISSUER=ISSUER,
               THREELO_SECRET_KEY="s" * 40)
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "threelo.web.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            httpx.get(f"{url}/me", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@pytest.fixture
def database_url(fresh_database_url: Callable[[str], str]) -> str:
    return fresh_database_url("postgresql")


@pytest.fixture
def servers(database_url: str) -> Iterator[list[str]]:
    open_store(database_url).close()  # migrate once before both start
    ports = [free_port(), free_port()]
    processes = [start(database_url, port) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, processes, strict=True):
            wait_up(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            if process.stderr:
                process.stderr.close()


def test_revocation_is_seen_by_every_process_within_five_seconds(
    database_url: str, servers: list[str]
) -> None:
    store = open_store(database_url)
    try:
        clock = SystemClock()
        platform = Platform(store=store, policy=Policy(issuer=ISSUER), clock=clock)
        world = World(platform, clock=clock)  # type: ignore[arg-type]
        edward = world.account("edward")
        site = world.site("Alpha")
        world.member(site, edward)
        app = world.app(edward, "read:me read:jira-user")
        grant, family = world.grant(app, edward, [site])
        token = world.token(grant, family)
        path = f"/ex/jira/{site.cloud_id}/rest/api/3/myself"
        for url in servers:
            assert httpx.get(f"{url}{path}", headers=bearer(token), timeout=10).status_code == 200
            assert httpx.get(f"{url}/me", headers=bearer(token), timeout=10).status_code == 200
        with store.transaction() as tx:
            tx.families.revoke(family.family_id, SystemClock().now(), "test")
        revoked_at = time.monotonic()
        pending = set(servers)
        while pending and time.monotonic() - revoked_at < 5:
            for url in list(pending):
                if httpx.get(f"{url}/me", headers=bearer(token), timeout=5).status_code == 401:
                    pending.discard(url)
            time.sleep(0.1)
        assert not pending, f"still accepted after 5 s by {pending}"
    finally:
        store.close()
