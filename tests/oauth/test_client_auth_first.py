"""Client authentication comes first at the token endpoint, on every store (CA-01, RFC 6749
§3.2.1): the app is read in the same round trip as the grant's first statement, and a client
that fails to authenticate must find that nothing was burnt, spent or revoked, and hear only
``invalid_client``."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import World

UNAUTHORIZED = {"error": "invalid_client", "error_description": "Unauthorized"}


def _as_impostor(world: World, key: str, **fields: Any) -> httpx.Response:
    """A token request with ``key``'s client id and a wrong secret."""
    c = world.clients[key]
    return world.token(
        key, auth="raw", client_id=c.id, client_secret=(c.secret or "") + "x", **fields
    )


def _unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHORIZED


def test_a_wrong_secret_burns_no_code(any_world: World) -> None:
    world = any_world
    code = world.authorization_code("A")
    callback = world.clients["A"].callback
    for _ in range(2):
        _unauthorized(
            _as_impostor(
                world, "A", grant_type="authorization_code", code=code, redirect_uri=callback
            )
        )
    assert world.redeem("A", code).status_code == 200


def test_a_wrong_secret_replaying_a_code_revokes_nothing(any_world: World) -> None:
    world = any_world
    code = world.authorization_code("A")
    tokens = world.redeem("A", code).json()
    callback = world.clients["A"].callback
    _unauthorized(
        _as_impostor(world, "A", grant_type="authorization_code", code=code, redirect_uri=callback)
    )
    # The replay by the real client would revoke the family; the impostor's did not.
    assert world.refresh("A", tokens["refresh_token"]).status_code == 200


def test_a_wrong_secret_spends_no_refresh_token(any_world: World) -> None:
    world = any_world
    rt = world.tokens("A")["refresh_token"]
    for _ in range(2):
        _unauthorized(_as_impostor(world, "A", grant_type="refresh_token", refresh_token=rt))
    rotated = world.refresh("A", rt)
    assert rotated.status_code == 200, rotated.text
    # Still generation one: a spent-and-replayed token would have revoked the family instead.
    assert world.refresh("A", rotated.json()["refresh_token"]).status_code == 200


def test_a_wrong_secret_with_another_clients_token_revokes_nothing(any_world: World) -> None:
    world = any_world
    rt = world.tokens("A")["refresh_token"]
    # B with its real secret would revoke A's family (RFC 6819 §5.2.2.2); B's impostor may not.
    _unauthorized(_as_impostor(world, "B", grant_type="refresh_token", refresh_token=rt))
    assert world.refresh("A", rt).status_code == 200


def test_an_unknown_client_hears_invalid_client_before_anything_about_its_request(
    any_world: World,
) -> None:
    world = any_world
    callback = world.clients["A"].callback
    for fields in (
        {"grant_type": "authorization_code", "redirect_uri": callback},  # no code
        {"grant_type": "authorization_code", "code": "c"},  # no redirect_uri
        {"grant_type": "authorization_code", "code": "c", "redirect_uri": callback},
        {"grant_type": "refresh_token"},  # no refresh_token
        {"grant_type": "refresh_token", "refresh_token": "r"},
    ):
        _unauthorized(_as_impostor(world, "A", **fields))
        unknown = world.token(None, client_id="no-such-client", client_secret="s", **fields)
        _unauthorized(unknown)
