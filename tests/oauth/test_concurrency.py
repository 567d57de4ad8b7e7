"""Real concurrency (catalogue AC-02, RT-03; STYLE habit 5).

One code redeemed 8 times at once gives exactly one token response; the other 7 are replays
and, per RFC 6749 §4.1.2, each replay revokes what the code produced, so the winner's family
is dead afterwards too. One refresh token presented 6 times at once succeeds every time (one
rotation, then siblings inside the reuse leeway) and the family lives on.

Both run on the core with threads over a SQL store, and against a real ``uvicorn`` server on
127.0.0.1 (one worker on SQLite, two worker processes on PostgreSQL).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import free_port
from threelo.core.client_auth import AuthMethod, ClientCredentials
from threelo.core.clock import FrozenClock, SystemClock
from threelo.core.errors import OAuthError
from threelo.core.grants import exchange
from threelo.core.keys import rotate_keys
from threelo.core.platform import Platform
from threelo.core.policy import Policy
from threelo.storage import open_store

from .conftest import World, build_world

CODE_RACERS = 8
REFRESH_RACERS = 6
SERVER_START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0
ISSUER = "http://127.0.0.1"


def race(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run ``action(i)`` on ``count`` threads released together; results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait(timeout=10)
        try:
            results[i] = action(i)
        except Exception as exc:  # recorded, and asserted on by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a racer hung"
    return results


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> str:
    return fresh_database_url(request.param)


def seeded(url: str) -> World:
    store = open_store(url)
    world = build_world(store, FrozenClock(datetime.now(UTC).replace(microsecond=0)))
    rotate_keys(store, world.clock)  # one signing key before several processes start
    return world


# --- core -------------------------------------------------------------------------------


def test_core_code_race_has_one_winner_and_the_replays_revoke_it(database_url: str) -> None:
    world = seeded(database_url)
    try:
        platform = Platform(store=world.store, policy=Policy(), clock=SystemClock())
        c = world.clients["A"]
        creds = ClientCredentials(c.id, c.secret, AuthMethod.POST)
        params = {"grant_type": "authorization_code", "code": world.authorization_code("A"),
                  "redirect_uri": c.callback}  # fmt: skip
        results = race(CODE_RACERS, lambda _: exchange(platform, creds, params))
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert all(isinstance(e, OAuthError) and e.code == "invalid_grant" for e in losers)
        rt = winners[0].refresh_token
        assert rt is not None
        assert world.family_of_refresh(rt).revoked_at is not None
    finally:
        world.store.close()


def test_core_refresh_race_keeps_the_family(database_url: str) -> None:
    world = seeded(database_url)
    try:
        platform = Platform(store=world.store, policy=Policy(), clock=SystemClock())
        c = world.clients["A"]
        creds = ClientCredentials(c.id, c.secret, AuthMethod.POST)
        code = {"grant_type": "authorization_code", "code": world.authorization_code("A"),
                "redirect_uri": c.callback}  # fmt: skip
        rt = exchange(platform, creds, code).refresh_token
        assert rt is not None
        params = {"grant_type": "refresh_token", "refresh_token": rt}
        results = race(REFRESH_RACERS, lambda _: exchange(platform, creds, params))
        assert all(not isinstance(r, Exception) for r in results), results
        family = world.family_of_refresh(rt)
        assert family.revoked_at is None and family.generation == 2
        newest = results[-1].refresh_token
        follow = exchange(platform, creds, {"grant_type": "refresh_token", "refresh_token": newest})
        assert follow.refresh_token
    finally:
        world.store.close()


# --- real server ------------------------------------------------------------------------


@contextmanager
def server(database_url: str, workers: int, log: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "THREELO_DATABASE_URL": database_url,
        "THREELO_ISSUER": base,
        "THREELO_SECRET_KEY": "s" * 40,
    }
    command = [
        sys.executable, "-m", "uvicorn", "threelo.web.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(base, process, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/.well-known/jwks.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"server not ready in {SERVER_START_TIMEOUT} s:\n{log.read_text()}")


def post_token(base: str, fields: dict[str, str]) -> httpx.Response:
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        return client.post(f"{base}/oauth/token", data=fields)


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind,workers",
    [("sqlite", 1), pytest.param("postgresql", 2, marks=pytest.mark.postgres)],
)
def test_real_server_races(
    kind: str, workers: int, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database_url(kind)
    world = seeded(url)
    c = world.clients["A"]
    auth = {"client_id": c.id, "client_secret": c.secret or ""}
    code = world.authorization_code("A")
    fresh = world.authorization_code("A")
    try:
        with server(url, workers, tmp_path / "server.log") as base:
            # 8 redemptions of one code at once
            fields = {"grant_type": "authorization_code", "code": code,
                      "redirect_uri": c.callback, **auth}  # fmt: skip
            responses = race(CODE_RACERS, lambda _: post_token(base, fields))
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] + [403] * (CODE_RACERS - 1), statuses
            winner = next(r for r in responses if r.status_code == 200).json()
            assert all(r.json()["error"] == "invalid_grant" for r in responses
                       if r.status_code == 403)  # fmt: skip
            dead = post_token(
                base,
                {"grant_type": "refresh_token", "refresh_token": winner["refresh_token"], **auth},
            )
            assert dead.status_code == 403  # the replays revoked the winner's family

            # 6 refreshes of one token at once
            start = post_token(base, {"grant_type": "authorization_code", "code": fresh,
                                      "redirect_uri": c.callback, **auth})  # fmt: skip
            assert start.status_code == 200, start.text
            rt = start.json()["refresh_token"]
            refresh = {"grant_type": "refresh_token", "refresh_token": rt, **auth}
            responses = race(REFRESH_RACERS, lambda _: post_token(base, refresh))
            assert [r.status_code for r in responses] == [200] * REFRESH_RACERS, [
                r.text for r in responses
            ]
            newest = responses[-1].json()["refresh_token"]
            follow = post_token(base, {"grant_type": "refresh_token", "refresh_token": newest,
                                       **auth})  # fmt: skip
            assert follow.status_code == 200, follow.text
        assert world.family_of_refresh(rt).revoked_at is None
    finally:
        world.store.close()


def test_core_refresh_versus_revoke_race_leaves_nothing_usable(database_url: str) -> None:
    """RT-04: ten refreshes and one revocation at the same instant."""
    from threelo.core.revocation import revoke_token

    world = seeded(database_url)
    try:
        platform = Platform(store=world.store, policy=Policy(), clock=SystemClock())
        c = world.clients["A"]
        creds = ClientCredentials(c.id, c.secret, AuthMethod.POST)
        code = {
            "grant_type": "authorization_code",
            "code": world.authorization_code("A"),
            "redirect_uri": c.callback,
        }
        rt = exchange(platform, creds, code).refresh_token
        assert rt is not None
        params = {"grant_type": "refresh_token", "refresh_token": rt}

        def act(i: int) -> Any:
            if i == 5:
                return revoke_token(platform, creds, rt)
            return exchange(platform, creds, params)

        results = race(11, act)
        assert world.family_of_refresh(rt).revoked_at is not None
        for result in results:
            if result is not None and not isinstance(result, Exception):
                follow = {"grant_type": "refresh_token", "refresh_token": result.refresh_token}
                with pytest.raises(OAuthError):
                    exchange(platform, creds, follow)
    finally:
        world.store.close()
