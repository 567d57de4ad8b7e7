"""Mix-up defence (RFC 9207), PKCE on every flow, error callbacks and return-to targets."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from threelo.sdk import (
    AuthorizationDenied,
    AuthorizationError,
    IssuerMismatch,
    StateMismatch,
    ThreeLOClient,
    UnsafeReturnTo,
    safe_return_to,
)

from .conftest import FakeClock, make_config
from .fake_server import AUTH, CALLBACK, CLIENT_ID, FakeAuthorizationServer


def params_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def without_iss(url: str) -> str:
    return re.sub(r"&iss=[^&]*", "", url)


# --- issuer (SDK-08) ------------------------------------------------------------------------


def test_a_callback_from_another_issuer_is_refused(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    fake.issuer = "https://evil.example.test"
    callback = fake.approve(client.begin(session), "edward")

    with pytest.raises(IssuerMismatch):
        client.complete(session, callback)

    assert fake.token_requests == []


def test_an_error_callback_from_another_issuer_is_refused_as_a_mix_up(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    fake.issuer = "https://evil.example.test"

    with pytest.raises(IssuerMismatch):
        client.complete(session, fake.deny(client.begin(session), "no"))


def test_a_callback_without_iss_is_accepted_unless_iss_is_required(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    lenient = ThreeLOClient(make_config(), transport=fake.transport(), clock=clock)
    strict = ThreeLOClient(make_config(require_iss=True), transport=fake.transport(), clock=clock)
    session: dict[str, Any] = {}

    assert lenient.complete(session, without_iss(fake.approve(lenient.begin(session), "edward")))
    with pytest.raises(IssuerMismatch):
        strict.complete(session, without_iss(fake.approve(strict.begin(session), "edward")))

    assert len(fake.token_requests) == 1


def test_the_expected_issuer_can_differ_from_the_auth_base_url(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    fake.issuer = "https://issuer.example.test"
    client = ThreeLOClient(
        make_config(issuer="https://issuer.example.test"), transport=fake.transport(), clock=clock
    )
    session: dict[str, Any] = {}

    assert client.complete(session, fake.approve(client.begin(session), "edward"))


# --- PKCE (SDK-09) --------------------------------------------------------------------------


def test_every_flow_uses_its_own_s256_challenge_and_keeps_the_verifier_server_side(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    client = ThreeLOClient(make_config(), transport=fake.transport(), clock=clock)
    challenges = set()
    for _ in range(1000):
        session: dict[str, Any] = {}
        url = client.begin(session)
        params = params_of(url)
        assert params["code_challenge_method"] == "S256"
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", params["code_challenge"])
        assert "code_verifier" not in url
        challenges.add(params["code_challenge"])
    assert len(challenges) == 1000


def test_the_token_request_sends_exactly_the_flows_verifier(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    verifiers = set()
    for _ in range(50):
        session: dict[str, Any] = {}
        url = client.begin(session)
        client.complete(session, fake.approve(url, "edward"))
        verifier = fake.token_bodies[-1]["code_verifier"]
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        assert expected == params_of(url)["code_challenge"]
        assert re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", verifier)
        assert len(verifier) * 6 >= 256  # base64url characters carry 6 bits each
        assert verifier not in str(session)
        verifiers.add(verifier)
    assert len(verifiers) == 50


def test_the_authorization_url_carries_the_atlassian_parameters(client: ThreeLOClient) -> None:
    url = client.begin({})
    params = params_of(url)

    assert url.startswith(f"{AUTH}/authorize?")
    assert "%20" in url and "+" not in url  # scopes joined with %20, as Atlassian documents
    assert params["audience"] == "api.atlassian.com"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == CALLBACK
    assert params["response_type"] == "code"
    assert params["prompt"] == "consent"
    assert params["scope"].split() == [
        "read:me",
        "read:jira-work",
        "write:jira-work",
        "offline_access",
    ]


def test_the_code_exchange_uses_a_json_body_like_atlassians_docs(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    client.complete(session, fake.approve(client.begin(session), "edward"))

    (request,) = fake.token_requests
    assert request.headers["content-type"] == "application/json"
    assert set(fake.token_bodies[0]) == {
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "client_id",
        "client_secret",
    }


def test_a_form_encoded_token_request_can_be_configured(
    fake: FakeAuthorizationServer, clock: FakeClock
) -> None:
    client = ThreeLOClient(
        make_config(token_request_format="form"), transport=fake.transport(), clock=clock
    )
    session: dict[str, Any] = {}
    client.complete(session, fake.approve(client.begin(session), "edward"))

    assert fake.token_requests[0].headers["content-type"] == "application/x-www-form-urlencoded"


# --- error callbacks (SDK-10) ---------------------------------------------------------------


def test_a_denied_consent_raises_authorization_denied_and_spends_the_state(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    url = client.begin(session, return_to="/incidents")
    denial = fake.deny(url, "<script>alert(1)</script>")

    with pytest.raises(AuthorizationDenied) as caught:
        client.complete(session, denial)
    with pytest.raises(StateMismatch):
        client.complete(session, denial)

    assert caught.value.error == "access_denied"
    assert caught.value.description == "<script>alert(1)</script>"  # raw: apps must escape it
    assert "<script>" not in str(caught.value)
    assert caught.value.return_to == "/incidents"
    assert fake.token_requests == []


def test_other_error_codes_raise_authorization_error_with_a_sanitised_code(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    session: dict[str, Any] = {}
    state = params_of(client.begin(session))["state"]
    bad_code = quote('<b>"x')

    with pytest.raises(AuthorizationError) as caught:
        client.complete(session, f"{CALLBACK}?error={bad_code}&state={state}&iss={AUTH}")

    assert not isinstance(caught.value, AuthorizationDenied)
    assert caught.value.error == "invalid_error_code"
    assert fake.token_requests == []


def test_an_error_callback_with_a_foreign_state_is_a_state_mismatch(
    client: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    denial = fake.deny(client.begin({}), "no")

    with pytest.raises(StateMismatch):
        client.complete({}, denial)


# --- return-to (SDK-12) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.test/",
        "//evil.test",
        "/\\evil.test",
        "\\\\evil.test",
        "https:evil.test",
        "javascript:alert(1)",
        "/\t/evil.test",
        "/\n/evil.test",
        " /x",
        "evil.test",
        "",
        "/" + "a" * 3000,
    ],
)
def test_a_return_to_that_could_leave_the_origin_is_refused(
    client: ThreeLOClient, target: str
) -> None:
    session: dict[str, Any] = {}
    with pytest.raises(UnsafeReturnTo):
        client.begin(session, return_to=target)
    assert session == {}


@pytest.mark.parametrize("target", ["/", "/incidents", "/sites?tab=jira#top", "/a/b/../c"])
def test_a_same_origin_path_is_returned_after_the_flow(
    client: ThreeLOClient, fake: FakeAuthorizationServer, target: str
) -> None:
    session: dict[str, Any] = {}
    result = client.complete(session, fake.approve(client.begin(session, return_to=target), "e"))

    assert result.return_to == target == safe_return_to(target)


def test_the_return_to_target_is_kept_server_side_not_in_the_url(client: ThreeLOClient) -> None:
    url = client.begin({}, return_to="/very-distinctive-path")

    assert "very-distinctive-path" not in url
