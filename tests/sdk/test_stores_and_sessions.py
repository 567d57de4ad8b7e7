"""Token and flow stores behave alike; session adapters accept the frameworks' session objects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from threelo.sdk import (
    MemoryFlowStore,
    MemoryTokenStore,
    PendingFlow,
    SqliteFlowStore,
    SqliteTokenStore,
    StateMismatch,
    ThreeLOClient,
    TokenSet,
    TokenStore,
    django_session,
    flask_session,
    starlette_session,
)
from threelo.sdk.flow_store import FlowStore

from .conftest import FakeClock, make_config
from .fake_server import FakeAuthorizationServer


@pytest.fixture(params=["memory", "sqlite"])
def token_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TokenStore]:
    if request.param == "memory":
        yield MemoryTokenStore()
        return
    store = SqliteTokenStore(tmp_path / "tokens.db")
    yield store
    store.close()


@pytest.fixture(params=["memory", "sqlite"])
def flow_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FlowStore]:
    if request.param == "memory":
        yield MemoryFlowStore()
        return
    store = SqliteFlowStore(tmp_path / "flows.db")
    yield store
    store.close()


def sample_flow(expires_at: float = 2000.0) -> PendingFlow:
    return PendingFlow(
        state="s",
        binding="b",
        code_verifier="v" * 43,
        redirect_uri="https://app.example.test/callback",
        issuer="https://auth.example.test",
        created_at=1000.0,
        expires_at=expires_at,
        return_to="/x",
    )


def test_a_token_store_returns_what_was_put_and_forgets_on_delete(token_store: TokenStore) -> None:
    tokens = TokenSet(access_token="a", expires_at=1.5, refresh_token="r", scope="read:me")
    token_store.put("edward", tokens)
    token_store.put("edward", tokens)

    assert token_store.get("edward") == tokens
    assert token_store.get("mallory") is None
    token_store.delete("edward")
    token_store.delete("edward")
    assert token_store.get("edward") is None


def test_a_flow_store_hands_out_each_flow_once(flow_store: FlowStore) -> None:
    flow_store.put("k", sample_flow())

    assert flow_store.take("k") == sample_flow()
    assert flow_store.take("k") is None


def test_a_flow_store_discards_expired_flows(flow_store: FlowStore) -> None:
    flow_store.put("old", sample_flow(expires_at=1500.0))
    flow_store.put("new", sample_flow(expires_at=2500.0))
    flow_store.discard_expired(2000.0)

    assert flow_store.take("old") is None
    assert flow_store.take("new") is not None


def test_a_flow_is_taken_by_exactly_one_of_many_racing_threads(tmp_path: Path) -> None:
    store = SqliteFlowStore(tmp_path / "flows.db")
    store.put("k", sample_flow())
    winners: list[PendingFlow] = []
    start = threading.Barrier(8)

    def race() -> None:
        start.wait()
        flow = store.take("k")
        if flow is not None:
            winners.append(flow)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()

    assert len(winners) == 1


def test_a_flow_started_on_one_process_completes_on_another_sharing_sqlite(
    tmp_path: Path, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    path = tmp_path / "flows.db"
    first, second = SqliteFlowStore(path), SqliteFlowStore(path)
    one = ThreeLOClient(make_config(), transport=fake.transport(), clock=clock, flow_store=first)
    two = ThreeLOClient(make_config(), transport=fake.transport(), clock=clock, flow_store=second)
    session: dict[str, Any] = {}
    callback = fake.approve(one.begin(session), "edward")

    assert two.complete(session, callback).tokens.access_token
    with pytest.raises(StateMismatch):
        one.complete(session, callback)
    first.close()
    second.close()


def test_the_sqlite_store_does_not_keep_codes_or_raw_states_as_keys(
    tmp_path: Path, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    import sqlite3

    store = SqliteFlowStore(tmp_path / "flows.db")
    client = ThreeLOClient(make_config(), transport=fake.transport(), clock=clock, flow_store=store)
    url = client.begin({})
    conn = sqlite3.connect(tmp_path / "flows.db")
    (key,) = conn.execute("SELECT key FROM threelo_sdk_flows").fetchone()
    conn.close()
    store.close()

    assert key not in url


class DjangoLikeSession:
    """Django's SessionBase offers get/__setitem__/pop without being a dict."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.modified = False

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value
        self.modified = True

    def pop(self, key: str, default: Any = None) -> Any:
        self.modified = True
        return self._data.pop(key, default)


def test_starlette_django_and_flask_sessions_work_as_they_are(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    client = ThreeLOClient(make_config(), transport=fake.transport(), clock=clock)
    django_request = SimpleNamespace(session=DjangoLikeSession())
    starlette_request = SimpleNamespace(session={})
    sessions = [
        starlette_session(starlette_request),
        django_session(django_request),
        flask_session({}),
    ]
    for session in sessions:
        assert client.complete(session, fake.approve(client.begin(session), "edward"))
    assert django_request.session.modified


def test_a_session_adapter_refuses_an_object_that_is_not_a_session() -> None:
    with pytest.raises(TypeError):
        starlette_session(SimpleNamespace(session=object()))
