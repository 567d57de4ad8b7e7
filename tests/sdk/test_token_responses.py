"""Token endpoint answers: accepted shapes, typed errors, and tokens kept out of messages."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from threelo.sdk import (
    InvalidTokenResponse,
    ReconnectNeeded,
    ThreeLOClient,
    TokenEndpointError,
    TokenSet,
)

from .conftest import FakeClock
from .fake_server import FakeAuthorizationServer


def connect(client: ThreeLOClient, fake: FakeAuthorizationServer, key: str = "edward") -> TokenSet:
    session: dict[str, Any] = {}
    return client.complete(session, fake.approve(client.begin(session), key), token_key=key).tokens


@pytest.mark.parametrize("token_type", ["bearer", "BEARER", "Bearer", "bEaReR"])
def test_token_type_is_compared_case_insensitively(
    client: ThreeLOClient, fake: FakeAuthorizationServer, token_type: str
) -> None:
    fake.token_type = token_type

    assert connect(client, fake).token_type == "Bearer"


def test_a_token_type_other_than_bearer_is_refused(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    fake.token_type = "mac"

    with pytest.raises(InvalidTokenResponse):
        connect(client, fake)


def test_a_missing_expires_in_gets_the_default_lifetime(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    fake.expires_in = None

    assert connect(client, fake).expires_at == clock.now + 3600


def test_unknown_fields_in_the_token_response_are_ignored(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    def answer(body: dict[str, str]) -> httpx.Response:
        return httpx.Response(
            200, json={"access_token": "at", "expires_in": 10, "surprise": [1, 2], "scope": "x"}
        )

    fake.token_override = answer
    tokens = connect(client, fake)

    assert (tokens.access_token, tokens.refresh_token, tokens.scopes) == ("at", None, ("x",))


@pytest.mark.parametrize("status", [200, 502])
def test_an_html_page_from_the_token_endpoint_is_a_typed_error(
    client: ThreeLOClient, fake: FakeAuthorizationServer, status: int
) -> None:
    fake.token_override = lambda body: httpx.Response(
        status, html="<html><body>Something went wrong</body></html>"
    )

    with pytest.raises(InvalidTokenResponse) as caught:
        connect(client, fake)

    assert caught.value.status == status
    assert "Something" not in str(caught.value)


def test_a_json_body_that_is_not_an_object_is_a_typed_error(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    fake.token_override = lambda body: httpx.Response(200, json=["access_token"])

    with pytest.raises(InvalidTokenResponse):
        connect(client, fake)


@pytest.mark.parametrize("status", [400, 403])
def test_a_rejected_code_raises_token_endpoint_error_with_the_oauth_error(
    client: ThreeLOClient, fake: FakeAuthorizationServer, status: int
) -> None:
    fake.token_override = lambda body: httpx.Response(
        status, json={"error": "invalid_grant", "error_description": "Invalid authorization code"}
    )

    with pytest.raises(TokenEndpointError) as caught:
        connect(client, fake)

    assert (caught.value.status, caught.value.error) == (status, "invalid_grant")
    assert caught.value.description == "Invalid authorization code"
    assert client.token_store.get("edward") is None


def test_a_network_failure_is_translated_at_the_boundary(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    from threelo.sdk import NetworkError

    from .conftest import make_config

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = ThreeLOClient(make_config(), transport=httpx.MockTransport(unreachable), clock=clock)
    session: dict[str, Any] = {}
    with pytest.raises(NetworkError) as caught:
        client.complete(session, fake.approve(client.begin(session), "edward"))
    assert "code=" not in str(caught.value)


@pytest.mark.parametrize("status", [400, 403])
def test_invalid_grant_on_refresh_asks_for_a_reconnect_and_clears_the_tokens(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock, status: int
) -> None:
    connect(client, fake)
    fake.refresh_tokens.clear()  # e.g. password changed: the family is gone
    fake.token_override = (
        None if status == 403 else lambda body: httpx.Response(400, json={"error": "invalid_grant"})
    )
    clock.advance(3600)

    with pytest.raises(ReconnectNeeded):
        client.connection("edward").accessible_resources()

    assert client.token_store.get("edward") is None


def test_a_server_error_on_refresh_keeps_the_tokens_for_a_later_try(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    before = connect(client, fake)
    fake.token_override = lambda body: httpx.Response(
        503, json={"error": "temporarily_unavailable"}
    )
    clock.advance(3600)

    with pytest.raises(TokenEndpointError) as caught:
        client.connection("edward").access_token()

    assert not isinstance(caught.value, ReconnectNeeded)
    assert client.token_store.get("edward") == before


def test_expired_tokens_without_a_refresh_token_ask_for_a_reconnect(
    client: ThreeLOClient, fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    fake.token_override = lambda body: httpx.Response(
        200, json={"access_token": "at", "token_type": "Bearer", "expires_in": 60}
    )
    connect(client, fake)
    clock.advance(120)

    with pytest.raises(ReconnectNeeded):
        client.connection("edward").access_token()


def test_a_key_without_tokens_asks_for_a_reconnect(client: ThreeLOClient) -> None:
    with pytest.raises(ReconnectNeeded):
        client.connection("nobody").me()


def test_tokens_never_appear_in_reprs_errors_or_logs(
    client: ThreeLOClient,
    fake: FakeAuthorizationServer,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = connect(client, fake)
    clock.advance(3600)
    fresh = client.connection("edward").access_token()
    fake.refresh_tokens.clear()
    clock.advance(3600)
    with pytest.raises(ReconnectNeeded) as caught:
        client.connection("edward").access_token()

    secrets_seen = [tokens.access_token, tokens.refresh_token, fresh, "secret-456"]
    texts = [repr(tokens), repr(client.config), str(caught.value), caplog.text]
    for text in texts:
        for secret in secrets_seen:
            assert secret is not None and secret not in text
