"""The synchronous SDK against ``threelo serve`` running as a real process on 127.0.0.1.

Many threads need a refresh at the same moment: exactly one refresh request reaches threelo, and
the family threelo rotates stays alive. Then ``threelo accounts set-password`` (the real command,
against the running server's database) kills the family and the SDK answers ``ReconnectNeeded``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from threelo.sdk import ClientConfig, ReconnectNeeded, ThreeLOClient

from .conftest import RealThreeLO
from .harness import (
    IN_PROCESS_CALLBACK,
    SDK_SCOPES,
    ConsentDriver,
    Person,
    Recorder,
    RecordingTransport,
    threelo_cli,
)

pytestmark = pytest.mark.slow

THREADS = 16


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client(real_threelo: RealThreeLO) -> Iterator[tuple[ThreeLOClient, Recorder, Clock]]:
    seed, recorder, clock = real_threelo.seed, Recorder(), Clock()
    config = ClientConfig(
        client_id=seed.incidents_client_id,
        client_secret=seed.incidents_secret,
        callback_url=IN_PROCESS_CALLBACK,
        scopes=SDK_SCOPES,
        auth_base_url=real_threelo.url,
        api_base_url=real_threelo.url,
    )
    http = httpx.Client(transport=RecordingTransport(httpx.HTTPTransport(), recorder), timeout=10)
    with http, ThreeLOClient(config, http_client=http, clock=clock) as sdk:
        yield sdk, recorder, clock


def _connect(sdk: ThreeLOClient, real_threelo: RealThreeLO, who: Person, key: str) -> None:
    person = ConsentDriver(real_threelo.url)
    try:
        person.sign_in(who)
        session: dict[str, Any] = {}
        callback = person.consent(sdk.begin(session))
        sdk.complete(session, callback, token_key=key)
    finally:
        person.close()


def test_threads_needing_a_refresh_at_once_send_one_refresh_request(
    client: tuple[ThreeLOClient, Recorder, Clock], real_threelo: RealThreeLO
) -> None:
    sdk, recorder, clock = client
    edward = real_threelo.seed.edward
    _connect(sdk, real_threelo, edward, "edward")
    first = sdk.token_store.get("edward")
    assert first is not None
    clock.now += 3600  # the access token is due in every thread at once
    barrier = threading.Barrier(THREADS)

    def call(_: int) -> str:
        barrier.wait(5)
        return str(sdk.connection("edward").me()["account_id"])

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(call, range(THREADS)))

    assert answers == [edward.account_id] * THREADS
    assert len(recorder.token_requests("refresh_token")) == 1
    rotated = sdk.token_store.get("edward")
    assert rotated is not None and rotated.refresh_token != first.refresh_token
    assert {s.bearer for s in recorder.sent if s.path == "/me"} == {rotated.access_token}

    clock.now += 3600  # the family survived: its new refresh token rotates again
    sites = sdk.connection("edward").accessible_resources()
    assert [s.id for s in sites] == [real_threelo.seed.acme]
    assert len(recorder.token_requests("refresh_token")) == 2


def test_a_password_change_on_the_running_server_means_reconnect(
    client: tuple[ThreeLOClient, Recorder, Clock], real_threelo: RealThreeLO
) -> None:
    sdk, recorder, clock = client
    alice = real_threelo.seed.alice  # Alice: the other scenarios keep their passwords
    _connect(sdk, real_threelo, alice, "alice")
    assert sdk.connection("alice").me()["account_id"] == alice.account_id

    threelo_cli(
        real_threelo.database_url,
        "accounts", "set-password", alice.account_id, "--password", "alice-new-password",
    )  # fmt: skip

    clock.now += 3600
    with pytest.raises(ReconnectNeeded):
        sdk.connection("alice").me()
    assert len(recorder.token_requests("refresh_token")) == 1
    assert sdk.token_store.get("alice") is None
