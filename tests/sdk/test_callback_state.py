"""Callback CSRF rules: a code is exchanged only for a state this session issued and not used."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from threelo.sdk import (
    CallbackError,
    MalformedCallback,
    MemoryFlowStore,
    StateMismatch,
    ThreeLOClient,
    forget_binding,
)

from .conftest import FakeClock, make_config
from .fake_server import CALLBACK, FakeAuthorizationServer


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def code_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["code"][0]


def test_a_callback_for_the_session_that_started_the_flow_is_exchanged(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    edward: dict[str, Any] = {}
    callback = fake.approve(client.begin(edward), "edward")

    result = client.complete(edward, callback)

    assert result.tokens.access_token in fake.access_tokens
    assert len(fake.token_requests) == 1


def test_a_callback_from_another_sessions_flow_is_refused_without_a_token_request(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    # SDK-01: Mallory stops at the callback and gets Edward (signed in) to open her URL.
    mallory: dict[str, Any] = {}
    edward: dict[str, Any] = {}
    client.begin(edward)  # Edward has a flow of his own: that must not help Mallory either
    mallorys_callback = fake.approve(client.begin(mallory), "mallory")

    with pytest.raises(StateMismatch):
        client.complete(edward, mallorys_callback)

    assert fake.token_requests == []


def test_the_victim_of_a_refused_callback_keeps_nothing_and_the_flow_stays_the_attackers(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    mallory: dict[str, Any] = {}
    edward: dict[str, Any] = {}
    callback = fake.approve(client.begin(mallory), "mallory")

    with pytest.raises(StateMismatch):
        client.complete(edward, callback, token_key="edward")

    assert client.token_store.get("edward") is None
    assert client.complete(mallory, callback).tokens.access_token  # her own flow still works


def test_a_callback_in_a_session_that_never_started_a_flow_is_refused(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    # SDK-02: no binding is created by a callback.
    fresh: dict[str, Any] = {}
    callback = fake.approve(client.begin({}), "mallory")

    with pytest.raises(StateMismatch):
        client.complete(fresh, callback)

    assert fresh == {}
    assert fake.token_requests == []


def test_an_authorization_url_sent_to_another_user_cannot_complete_in_their_session(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    # SDK-07 (cross-user session fixation): Mallory sends Edward her authorization URL; Edward
    # consents, and the callback arrives in Edward's browser carrying Mallory's state.
    mallory: dict[str, Any] = {}
    edward: dict[str, Any] = {}
    mallorys_url = client.begin(mallory)
    callback_in_edwards_browser = fake.approve(mallorys_url, "edward")

    with pytest.raises(StateMismatch):
        client.complete(edward, callback_in_edwards_browser, token_key="edward")

    assert fake.token_requests == []
    assert client.token_store.get("edward") is None


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"code": "c"}, id="missing-state"),
        pytest.param({"code": "c", "state": ""}, id="empty-state"),
        pytest.param({"code": "c", "state": "x" * 600}, id="overlong-state"),
    ],
)
def test_a_callback_without_a_usable_state_is_refused(
    client: ThreeLOClient, fake: FakeAuthorizationServer, query: dict[str, str]
) -> None:
    session: dict[str, Any] = {}
    client.begin(session)

    with pytest.raises(StateMismatch):
        client.complete(session, f"{CALLBACK}?{urlencode(query)}")

    assert fake.token_requests == []


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param("&state=other", id="duplicated-state"),
        pytest.param("&code=other", id="duplicated-code"),
        pytest.param("&error=access_denied&error=server_error", id="duplicated-error"),
        pytest.param("&iss=a&iss=b", id="duplicated-iss"),
    ],
)
def test_a_callback_with_a_repeated_parameter_is_refused(
    client: ThreeLOClient, fake: FakeAuthorizationServer, extra: str
) -> None:
    session: dict[str, Any] = {}
    callback = fake.approve(client.begin(session), "edward")

    with pytest.raises(MalformedCallback):
        client.complete(session, callback + extra)

    assert fake.token_requests == []


def test_a_state_in_the_fragment_is_refused(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    callback = fake.approve(client.begin(session), "edward")
    parts = urlsplit(callback)
    moved = f"{CALLBACK}?code={code_of(callback)}#state={state_of(callback)}"

    with pytest.raises(MalformedCallback):
        client.complete(session, moved)
    with pytest.raises(MalformedCallback):
        client.complete(session, f"{CALLBACK}#{parts.query}")

    assert fake.token_requests == []


def test_a_callback_with_neither_code_nor_error_is_refused(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    state = state_of(client.begin(session))

    with pytest.raises(MalformedCallback):
        client.complete(session, f"{CALLBACK}?state={state}&code=")

    assert fake.token_requests == []


def test_a_replayed_callback_is_refused_without_a_second_token_request(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    # SDK-04 / RFC 9700 §4.2.4: the state is spent on first use.
    session: dict[str, Any] = {}
    callback = fake.approve(client.begin(session), "edward")
    client.complete(session, callback)

    with pytest.raises(StateMismatch):
        client.complete(session, callback)

    assert len(fake.token_requests) == 1


def test_a_refused_callback_still_spends_the_state(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    callback = fake.approve(client.begin(session), "edward")

    with pytest.raises(CallbackError):
        client.complete(session, callback.replace("iss=", "iss=https%3A%2F%2Fother.test"))
    with pytest.raises(StateMismatch):
        client.complete(session, callback)

    assert fake.token_requests == []


def test_an_expired_state_is_refused(fake: FakeAuthorizationServer, clock: FakeClock) -> None:
    # SDK-05: flows live ten minutes by default.
    client = ThreeLOClient(make_config(), transport=fake.transport(), clock=clock)
    session: dict[str, Any] = {}
    callback = fake.approve(client.begin(session), "edward")
    clock.advance(600)

    with pytest.raises(StateMismatch, match="expired"):
        client.complete(session, callback)

    assert fake.token_requests == []


def test_a_state_just_inside_its_lifetime_is_accepted(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    client = ThreeLOClient(make_config(flow_lifetime=120), transport=fake.transport(), clock=clock)
    session: dict[str, Any] = {}
    callback = fake.approve(client.begin(session), "edward")
    clock.advance(119)

    assert client.complete(session, callback).tokens.access_token


def test_starting_a_flow_discards_expired_ones(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    flows = MemoryFlowStore()
    client = ThreeLOClient(make_config(), transport=fake.transport(), clock=clock, flow_store=flows)
    for _ in range(5):
        client.begin({})
    clock.advance(601)
    client.begin({})

    assert len(flows) == 1


@pytest.mark.parametrize("tamper", ["flip", "truncate", "extend", "swap"])
def test_a_tampered_state_is_refused(
    client: ThreeLOClient, fake: FakeAuthorizationServer, tamper: str
) -> None:
    # SDK-06: the state is a random reference, not a payload; any change makes it unknown.
    session: dict[str, Any] = {}
    callback = fake.approve(client.begin(session), "edward")
    other = state_of(client.begin({}))
    state = state_of(callback)
    forged = {
        "flip": state[:-1] + ("A" if state[-1] != "A" else "B"),
        "truncate": state[:-1],
        "extend": state + "A",
        "swap": other,
    }[tamper]

    with pytest.raises(StateMismatch):
        client.complete(session, callback.replace(state, forged))

    assert fake.token_requests == []


def test_forgetting_the_binding_invalidates_the_sessions_pending_flows(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    callback = fake.approve(client.begin(session), "edward")
    forget_binding(session)  # e.g. on sign-out or sign-in

    with pytest.raises(StateMismatch):
        client.complete(session, callback)


def test_states_are_unguessable_and_unique() -> None:
    client = ThreeLOClient(make_config())
    states = [state_of(client.begin({})) for _ in range(1000)]

    assert len(set(states)) == len(states)
    assert min(len(s) for s in states) >= 43  # 32 random bytes, base64url: 256 bits


def test_the_session_holds_only_a_random_binding_never_the_state_or_verifier() -> None:
    client = ThreeLOClient(make_config())
    session: dict[str, Any] = {}
    url = client.begin(session)
    client.begin(session)

    assert len(session) == 1
    (value,) = session.values()
    assert isinstance(value, str) and len(value) >= 43
    assert value not in url
