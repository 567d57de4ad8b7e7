"""Refreshing rotating tokens: single-flight per key, persisted before use, retry after 401."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from threelo.sdk import (
    AsyncThreeLOClient,
    MemoryTokenStore,
    ThreeLOClient,
    TokenSet,
)

from .conftest import FakeClock, make_config
from .fake_server import FakeAuthorizationServer


def connect(client: ThreeLOClient, fake: FakeAuthorizationServer, key: str = "edward") -> TokenSet:
    session: dict[str, Any] = {}
    return client.complete(session, fake.approve(client.begin(session), key), token_key=key).tokens


def test_concurrent_threads_refresh_an_expired_token_once(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    connect(client, fake)
    clock.advance(3600)
    fake.token_delay = 0.05  # widen the race window
    start = threading.Barrier(16)

    def use() -> str:
        start.wait()
        return client.connection("edward").access_token()

    with ThreadPoolExecutor(16) as pool:
        tokens = list(pool.map(lambda _: use(), range(16)))

    assert len(fake.refresh_requests()) == 1
    assert len(set(tokens)) == 1
    assert tokens[0] in fake.access_tokens


def test_different_keys_refresh_independently(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    connect(client, fake, "edward")
    connect(client, fake, "mallory")
    clock.advance(3600)

    client.connection("edward").access_token()
    client.connection("mallory").access_token()

    assert len(fake.refresh_requests()) == 2


def test_the_rotated_refresh_token_is_stored_before_the_new_access_token_is_used(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    events: list[tuple[str, str]] = []

    class RecordingStore(MemoryTokenStore):
        def put(self, key: str, tokens: TokenSet) -> None:
            events.append(("stored", tokens.access_token))
            super().put(key, tokens)

    def record_api_use(request: httpx.Request) -> None:
        events.append(("used", request.headers["authorization"].removeprefix("Bearer ")))

    store = RecordingStore()
    client = ThreeLOClient(
        make_config(), transport=fake.transport(), clock=clock, token_store=store
    )
    connect(client, fake)
    fake.on_api_request = record_api_use
    clock.advance(3600)
    events.clear()

    client.connection("edward").accessible_resources()

    new_access = events[-1][1]
    assert events == [("stored", new_access), ("used", new_access)]
    stored = store.get("edward")
    assert stored is not None and stored.refresh_token in fake.refresh_tokens


def test_a_failing_store_means_the_new_access_token_is_never_used(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    class BrokenStore(MemoryTokenStore):
        broken = False

        def put(self, key: str, tokens: TokenSet) -> None:
            if self.broken:
                raise OSError("disk full")
            super().put(key, tokens)

    store = BrokenStore()
    client = ThreeLOClient(
        make_config(), transport=fake.transport(), clock=clock, token_store=store
    )
    connect(client, fake)
    clock.advance(3600)
    store.broken = True
    api_calls_before = sum(1 for r in fake.requests if r.url.host == "api.example.test")

    with pytest.raises(OSError):
        client.connection("edward").accessible_resources()

    assert sum(1 for r in fake.requests if r.url.host == "api.example.test") == api_calls_before


def test_a_refresh_response_without_a_refresh_token_keeps_the_old_one(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    first = connect(client, fake)
    fake.token_override = lambda body: httpx.Response(
        200, json={"access_token": "next", "token_type": "Bearer", "expires_in": 3600}
    )
    clock.advance(3600)

    client.connection("edward").access_token()

    stored = client.token_store.get("edward")
    assert stored is not None
    assert (stored.access_token, stored.refresh_token) == ("next", first.refresh_token)


def test_a_401_triggers_one_refresh_and_one_retry(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    first = connect(client, fake)
    del fake.access_tokens[first.access_token]  # revoked early, e.g. after a rotation leeway

    resources = client.connection("edward").accessible_resources()

    assert [r.name for r in resources] == ["edward-one", "edward-two"]
    assert len(fake.refresh_requests()) == 1


def test_a_second_401_is_returned_without_looping(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    connect(client, fake)
    fake.access_tokens.clear()
    fake.issue_tokens = lambda account: {  # type: ignore[method-assign]
        "access_token": "never-valid",
        "token_type": "Bearer",
        "refresh_token": "r2",
        "expires_in": 3600,
    }

    response = client.connection("edward").call(
        "jira", "11111111-1111-4111-8111-111111111111", "GET", "/rest/api/3/project"
    )

    assert response.status_code == 401
    assert len(fake.refresh_requests()) == 1


def test_a_fresh_token_is_not_refreshed(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    connect(client, fake)
    clock.advance(3600 - 61)

    client.connection("edward").me()

    assert fake.refresh_requests() == []


def test_a_token_about_to_expire_is_refreshed_ahead_of_time(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    connect(client, fake)
    clock.advance(3600 - 30)

    client.connection("edward").me()

    assert len(fake.refresh_requests()) == 1


@pytest.mark.anyio
async def test_concurrent_tasks_refresh_an_expired_token_once(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    gate = asyncio.Event()

    async def slow_handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token" and b"refresh_token" in request.content:
            await gate.wait()
        return fake.handle(request)

    transport = httpx.MockTransport(slow_handler)
    async with AsyncThreeLOClient(make_config(), transport=transport, clock=clock) as client:
        session: dict[str, Any] = {}
        url = client.begin(session)
        await client.complete(session, fake.approve(url, "edward"), token_key="edward")
        clock.advance(3600)

        tasks = [asyncio.create_task(client.connection("edward").access_token()) for _ in range(16)]
        await asyncio.sleep(0.01)
        gate.set()
        tokens = await asyncio.gather(*tasks)

    assert len(fake.refresh_requests()) == 1
    assert len(set(tokens)) == 1


@pytest.mark.anyio
async def test_the_async_client_runs_the_whole_flow(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    async with AsyncThreeLOClient(
        make_config(), http_client=httpx.AsyncClient(transport=fake.transport()), clock=clock
    ) as client:
        session: dict[str, Any] = {}
        url = client.begin(session, return_to="/next")
        result = await client.complete(session, fake.approve(url, "edward"), token_key="edward")
        connection = client.connection("edward")
        me = await connection.me()
        sites = await connection.accessible_resources()
        response = await connection.call(
            "jira", sites[0].id, "POST", "rest/api/3/issue", json={"fields": {"summary": "s"}}
        )

    assert result.return_to == "/next"
    assert me["account_id"] == "acc-edward"
    assert response.status_code == 201
    assert fake.issues[0].account == "edward"
