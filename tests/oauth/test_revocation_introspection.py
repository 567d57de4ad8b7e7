"""``POST /oauth/revoke`` (RFC 7009) and ``POST /oauth/introspect`` (RFC 7662)."""

from __future__ import annotations

import pytest

from .conftest import INVALID_RT, World


def revoke(world: World, key: str, token: str, **extra: str) -> None:
    response = world.token(key, path="/oauth/revoke", token=token, **extra)
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert response.headers["cache-control"] == "no-store"


def introspect(world: World, key: str, token: str, **extra: str) -> dict[str, object]:
    response = world.token(key, path="/oauth/introspect", token=token, **extra)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token", "bogus"])
def test_revoking_a_refresh_token_kills_its_family_at_once(world: World, hint: str | None) -> None:
    tokens = world.tokens("A")
    assert world.api(tokens["access_token"]) is not None  # warm the API face's cache
    revoke(world, "A", tokens["refresh_token"], **({"token_type_hint": hint} if hint else {}))
    family = world.family_of_refresh(tokens["refresh_token"])
    assert family.revoked_at is not None and family.revoked_reason == "revoked by the client"
    refreshed = world.refresh("A", tokens["refresh_token"])
    assert refreshed.status_code == 403 and refreshed.json() == INVALID_RT
    assert world.api(tokens["access_token"]) is None


def test_revoking_an_access_token_kills_its_family(world: World) -> None:
    """Pinned: an access token can only be killed with its family (RFC 7009 §2.1 MAY)."""
    tokens = world.tokens("A")
    revoke(world, "A", tokens["access_token"])
    assert world.api(tokens["access_token"]) is None
    assert world.refresh("A", tokens["refresh_token"]).status_code == 403


def test_revoking_is_idempotent_and_unknown_tokens_get_200(world: World) -> None:
    tokens = world.tokens("A")
    revoke(world, "A", tokens["refresh_token"])
    revoke(world, "A", tokens["refresh_token"])
    revoke(world, "A", "never-issued")
    revoke(world, "A", "a.b.c")
    revoke(world, "A", "eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vcGUiLCJ0eXAiOiJhdCtqd3QifQ.e30.AAAA")


def test_another_clients_token_is_left_alone(world: World) -> None:
    """RFC 7009 §2.1: the answer is 200 all the same."""
    tokens = world.tokens("A")
    revoke(world, "B", tokens["refresh_token"])
    revoke(world, "B", tokens["access_token"])
    assert world.family_of_refresh(tokens["refresh_token"]).revoked_at is None
    assert world.refresh("A", tokens["refresh_token"]).status_code == 200


def test_public_client_revokes_its_own_token(world: World) -> None:
    tokens = world.tokens("N")
    revoke(world, "N", tokens["refresh_token"])
    assert world.refresh("N", tokens["refresh_token"]).status_code == 403


def test_revocation_needs_client_authentication(world: World) -> None:
    tokens = world.tokens("A")
    c = world.clients["A"]
    response = world.token(
        None, path="/oauth/revoke", client_id=c.id, client_secret="wrong",
        token=tokens["refresh_token"],
    )  # fmt: skip
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    basic = world.token(
        None, path="/oauth/revoke", token=tokens["refresh_token"],
        headers={"Authorization": "Basic Zm9vOmJhcg=="},
    )  # fmt: skip
    assert basic.status_code == 401 and "www-authenticate" in basic.headers
    assert world.refresh("A", tokens["refresh_token"]).status_code == 200


def test_revocation_without_token_is_invalid_request(world: World) -> None:
    response = world.token("A", path="/oauth/revoke")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_revocation_by_basic_and_json(world: World) -> None:
    tokens = world.tokens("A")
    response = world.token(
        "A", auth="basic", as_json=True, path="/oauth/revoke", token=tokens["refresh_token"]
    )
    assert response.status_code == 200
    assert world.refresh("A", tokens["refresh_token"]).status_code == 403


# --- introspection -------------------------------------------------------------------------


def test_introspecting_own_refresh_token(world: World) -> None:
    tokens = world.tokens("A")
    body = introspect(world, "A", tokens["refresh_token"])
    assert body["active"] is True
    assert body["token_type"] == "refresh_token"
    assert body["client_id"] == world.clients["A"].id
    assert body["sub"] == world.accounts["edward"]
    assert body["scope"] == "read:jira-work offline_access"
    assert isinstance(body["exp"], int) and isinstance(body["iat"], int)


def test_introspecting_own_access_token(world: World) -> None:
    tokens = world.tokens("A")
    body = introspect(world, "A", tokens["access_token"])
    assert body["active"] is True
    assert body["token_type"] == "access_token"
    assert body["client_id"] == world.clients["A"].id
    assert body["sub"] == world.accounts["edward"]
    assert body["aud"] == "api.atlassian.com"
    assert "read:jira-work" in str(body["scope"])


def test_introspecting_another_clients_tokens_says_inactive(world: World) -> None:
    tokens = world.tokens("A")
    assert introspect(world, "B", tokens["refresh_token"]) == {"active": False}
    assert introspect(world, "B", tokens["access_token"]) == {"active": False}


def test_spent_revoked_and_unknown_tokens_are_inactive(world: World) -> None:
    tokens = world.tokens("A")
    world.refresh("A", tokens["refresh_token"])
    assert introspect(world, "A", tokens["refresh_token"]) == {"active": False}
    other = world.tokens("A")
    revoke(world, "A", other["refresh_token"])
    assert introspect(world, "A", other["refresh_token"]) == {"active": False}
    assert introspect(world, "A", other["access_token"]) == {"active": False}
    assert introspect(world, "A", "unknown") == {"active": False}


def test_introspection_needs_client_authentication(world: World) -> None:
    tokens = world.tokens("A")
    response = world.token("A", auth="none", path="/oauth/introspect", token=tokens["access_token"])
    assert response.status_code == 401


def test_expired_refresh_family_is_inactive(world: World) -> None:
    tokens = world.tokens("A")
    world.clock.advance(days=91)
    assert introspect(world, "A", tokens["refresh_token"]) == {"active": False}
