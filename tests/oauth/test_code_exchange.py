"""``grant_type=authorization_code`` (CONTRACT §4.5; catalogue AC-01…AC-05)."""

from __future__ import annotations

import json

import jwt
import pytest

from threelo.core import directory
from threelo.core.grant_admin import revoke_app

from .conftest import INVALID_CODE, INVALID_RT, ISSUER, VERIFIER, World

TOKEN_KEYS = {"access_token", "expires_in", "token_type", "scope", "refresh_token"}


def assert_no_store(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["cache-control"] == "no-store"
    assert headers["pragma"] == "no-cache"
    assert headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_exchange_with_client_secret_post_returns_the_atlassian_token_shape(
    world: World, as_json: bool
) -> None:
    code = world.authorization_code("A")
    c = world.clients["A"]
    response = world.token(
        "A", as_json=as_json, grant_type="authorization_code", code=code, redirect_uri=c.callback
    )
    assert response.status_code == 200, response.text
    assert_no_store(response)
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read:jira-work offline_access"
    assert isinstance(body["refresh_token"], str) and len(body["refresh_token"]) >= 43
    assert world.api(body["access_token"]) is not None


def test_exchange_with_client_secret_basic_succeeds(world: World) -> None:
    code = world.authorization_code("A")
    response = world.token(
        "A", auth="basic", grant_type="authorization_code", code=code,
        redirect_uri=world.clients["A"].callback,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert set(response.json()) == TOKEN_KEYS


def test_basic_with_the_same_client_id_in_the_body_is_accepted(world: World) -> None:
    code = world.authorization_code("A")
    c = world.clients["A"]
    response = world.token(
        "A", auth="basic", grant_type="authorization_code", code=code, redirect_uri=c.callback,
        client_id=c.id,
    )  # fmt: skip
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_public_client_exchanges_with_pkce_and_no_secret(world: World, as_json: bool) -> None:
    code = world.authorization_code("N")
    response = world.redeem("N", code) if not as_json else world.token(
        "N", as_json=True, grant_type="authorization_code", code=code,
        redirect_uri=world.clients["N"].callback, code_verifier=VERIFIER,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert set(response.json()) == TOKEN_KEYS


def test_no_refresh_token_without_offline_access(world: World) -> None:
    body = world.tokens("A", scopes="read:jira-work read:me")
    assert "refresh_token" not in body
    assert body["scope"] == "read:jira-work read:me"
    assert world.api(body["access_token"]) is not None


def test_access_token_is_a_signed_jwt_with_the_contract_claims(world: World) -> None:
    body = world.tokens("A")
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "ES256" and header["kid"] and header["typ"] == "at+jwt"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    for name in ("iss", "sub", "aud", "client_id", "scope", "iat", "exp", "jti"):
        assert name in claims
    assert claims["iss"] == ISSUER
    assert claims["sub"] == world.accounts["edward"]
    assert claims["aud"] == "api.atlassian.com"
    assert claims["client_id"] == world.clients["A"].id
    assert claims["exp"] - claims["iat"] == 3600


def test_scopes_are_those_of_the_code_not_more(world: World) -> None:
    world.tokens("A", scopes="read:jira-work read:me write:jira-work offline_access")
    body = world.tokens("A", scopes="read:me")
    assert body["scope"] == "read:me"
    assert "refresh_token" not in body


def test_second_use_of_a_code_fails_and_revokes_what_it_produced(world: World) -> None:
    """AC-01; RFC 6749 §4.1.2: deny, and revoke the tokens issued from that code."""
    code = world.authorization_code("A")
    first = world.redeem("A", code)
    assert first.status_code == 200
    tokens = first.json()
    assert world.api(tokens["access_token"]) is not None  # warm the API face's cache

    second = world.redeem("A", code)
    assert second.status_code == 403
    assert second.json() == INVALID_CODE
    assert_no_store(second)
    assert "access_token" not in second.text

    family = world.family_of_refresh(tokens["refresh_token"])
    assert family.revoked_at is not None
    assert world.api(tokens["access_token"]) is None  # at once on this process
    again = world.refresh("A", tokens["refresh_token"])
    assert again.status_code == 403 and again.json() == INVALID_RT


def test_replay_revokes_only_the_family_of_that_code(world: World) -> None:
    other = world.tokens("A")
    code = world.authorization_code("A")
    assert world.redeem("A", code).status_code == 200
    assert world.redeem("A", code).status_code == 403
    assert world.family_of_refresh(other["refresh_token"]).revoked_at is None
    assert world.refresh("A", other["refresh_token"]).status_code == 200


def test_code_is_bound_to_its_client_and_burnt_by_a_wrong_one(world: World) -> None:
    """AC-03: B (authenticated as itself) cannot redeem A's code; the attempt burns it."""
    code = world.authorization_code("A")
    stolen = world.token(
        "B", grant_type="authorization_code", code=code, redirect_uri=world.clients["A"].callback
    )
    assert stolen.status_code == 403 and stolen.json() == INVALID_CODE
    assert world.redeem("A", code).status_code == 403


def test_public_client_cannot_redeem_a_confidential_clients_code(world: World) -> None:
    code = world.authorization_code("A")
    response = world.redeem("N", code, redirect_uri=world.clients["A"].callback)
    assert response.status_code == 403 and response.json() == INVALID_CODE


def test_confidential_client_cannot_impersonate_without_its_secret(world: World) -> None:
    code = world.authorization_code("A")
    response = world.token(
        "A", auth="none", grant_type="authorization_code", code=code,
        redirect_uri=world.clients["A"].callback,
    )  # fmt: skip
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app-a.test/callback/",
        "https://app-a.test/callback?x=1",
        "https://APP-A.test/callback",
        "http://app-a.test/callback",
        "https://app-b.test/cb",
    ],
)
def test_redirect_uri_must_equal_the_authorization_request(world: World, redirect_uri: str) -> None:
    code = world.authorization_code("A")
    response = world.redeem("A", code, redirect_uri=redirect_uri)
    assert response.status_code == 403 and response.json() == INVALID_CODE


def test_redirect_uri_of_the_request_is_what_counts(world: World) -> None:
    """A loopback callback may be presented with another port (RFC 8252 §7.3); the token
    request must then repeat exactly that one."""
    code = world.authorization_code("N", redirect_uri="http://127.0.0.1:53111/callback")
    assert world.redeem("N", code).status_code == 403
    code = world.authorization_code("N", redirect_uri="http://127.0.0.1:53111/callback")
    ok = world.redeem("N", code, redirect_uri="http://127.0.0.1:53111/callback")
    assert ok.status_code == 200, ok.text


def test_missing_redirect_uri_is_invalid_request(world: World) -> None:
    code = world.authorization_code("A")
    response = world.token("A", grant_type="authorization_code", code=code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert world.redeem("A", code).status_code == 200  # a malformed request burns nothing


def test_missing_code_is_invalid_request(world: World) -> None:
    response = world.token("A", grant_type="authorization_code", redirect_uri="https://x.test/")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_code_expires_after_ten_minutes(world: World) -> None:
    """AC-04 with the injected clock."""
    code = world.authorization_code("A")
    world.clock.advance(minutes=9, seconds=59)
    assert world.redeem("A", code).status_code == 200
    late = world.authorization_code("A")
    world.clock.advance(minutes=10)
    response = world.redeem("A", late)
    assert response.status_code == 403 and response.json() == INVALID_CODE


def near_misses(code: str) -> list[str]:
    flipped = code[:-1] + ("A" if code[-1] != "A" else "B")
    from urllib.parse import quote

    return [
        code.upper(), code.lower(), code + " ", " " + code, code + "%00", code[:-1], flipped,
        quote(quote(code + "=")), code + code,
    ]  # fmt: skip


def test_near_miss_codes_fail_and_the_real_one_stays_redeemable_once(world: World) -> None:
    """AC-05. Pinned: a code that matches nothing burns nothing (there is nothing to burn)."""
    code = world.authorization_code("A")
    for miss in near_misses(code):
        response = world.redeem("A", miss)
        assert response.status_code == 403, miss
        assert response.json() == INVALID_CODE
    nul = world.redeem("A", code + "\x00")
    assert nul.status_code == 400 and nul.json()["error"] == "invalid_request"
    assert world.redeem("A", code).status_code == 200
    assert world.redeem("A", code).status_code == 403


def test_wrong_client_secret_leaves_the_code_unspent(world: World) -> None:
    """CA-01, pinned: client authentication comes first and burns nothing."""
    code = world.authorization_code("A")
    c = world.clients["A"]
    response = world.token(
        "A", auth="raw", grant_type="authorization_code", code=code, redirect_uri=c.callback,
        client_id=c.id, client_secret=(c.secret or "") + "x",
    )  # fmt: skip
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "Unauthorized"}
    assert "www-authenticate" not in response.headers
    assert world.redeem("A", code).status_code == 200


def test_code_dies_with_its_grant(world: World) -> None:
    """AC-08a: the user revoked the app between consent and redemption."""
    code = world.authorization_code("A")
    revoke_app(world.platform, world.accounts["edward"], world.clients["A"].id)
    response = world.redeem("A", code)
    assert response.status_code == 403 and response.json() == INVALID_CODE


def test_code_of_a_deactivated_account_is_refused(world: World) -> None:
    code = world.authorization_code("A")
    directory.deactivate_account(world.store, world.accounts["edward"], clock=world.clock)
    assert world.redeem("A", code).status_code == 403


def test_code_of_a_rotated_secret_needs_the_new_secret(world: World) -> None:
    """AC-08d: a secret rotation is not a grant revocation."""
    from dataclasses import replace

    from threelo.core.secret_values import digest

    code = world.authorization_code("A")
    c = world.clients["A"]
    with world.store.transaction() as tx:
        tx.apps.update(replace(c.app, secret_digest=digest("the-new-secret")))
    old = world.redeem("A", code)
    assert old.status_code == 401
    fresh = world.token(
        "A", auth="raw", grant_type="authorization_code", code=code, redirect_uri=c.callback,
        client_id=c.id, client_secret="the-new-secret",
    )  # fmt: skip
    assert fresh.status_code == 200, fresh.text


def test_each_redemption_starts_its_own_family(world: World) -> None:
    one = world.tokens("A")
    two = world.tokens("A")
    assert (
        world.family_of_refresh(one["refresh_token"]).family_id
        != world.family_of_refresh(two["refresh_token"]).family_id
    )
    assert len(world.families("A")) == 2


def test_replay_is_recorded_in_the_audit_trail(world: World) -> None:
    code = world.authorization_code("A")
    world.redeem("A", code)
    world.redeem("A", code)
    with world.store.reader() as tx:
        kinds = [e.kind for e in tx.audit.recent(client_id=world.clients["A"].id)]
    assert "code.replayed" in kinds


def test_error_bodies_never_echo_secrets_or_codes(world: World) -> None:
    code = world.authorization_code("A")
    c = world.clients["A"]
    response = world.redeem("A", code, redirect_uri="https://elsewhere.test/")
    assert code not in response.text and (c.secret or "?") not in response.text
    assert set(json.loads(response.text)) == {"error", "error_description"}
