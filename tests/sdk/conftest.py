from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threelo.sdk import ClientConfig, MemoryTokenStore, ThreeLOClient

from .fake_server import API, AUTH, CALLBACK, CLIENT_ID, CLIENT_SECRET, FakeAuthorizationServer

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the example app lives outside the package
    sys.path.insert(0, str(ROOT))


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake() -> FakeAuthorizationServer:
    return FakeAuthorizationServer()


def make_config(**overrides: Any) -> ClientConfig:
    options: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "callback_url": CALLBACK,
        "scopes": ["read:me", "read:jira-work", "write:jira-work", "offline_access"],
        "auth_base_url": AUTH,
        "api_base_url": API,
    }
    options.update(overrides)
    return ClientConfig(**options)


@pytest.fixture
def config() -> ClientConfig:
    return make_config()


@pytest.fixture
def store() -> MemoryTokenStore:
    return MemoryTokenStore()


@pytest.fixture
def client(
    config: ClientConfig, fake: FakeAuthorizationServer, clock: FakeClock, store: MemoryTokenStore
) -> Iterator[ThreeLOClient]:
    with ThreeLOClient(config, transport=fake.transport(), clock=clock, token_store=store) as c:
        yield c
