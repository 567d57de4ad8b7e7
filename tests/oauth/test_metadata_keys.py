"""RFC 8414 metadata, the JWKS, and key rotation with overlap (CONTRACT §3 ``keys rotate``)."""

from __future__ import annotations

import json

import jwt
from jwt.algorithms import ECAlgorithm

from threelo.core.keys import rotate_keys

from .conftest import ISSUER, World, make_asgi


def test_metadata_names_every_endpoint_under_the_issuer(world: World) -> None:
    response = world.http().get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert doc["token_endpoint"] == f"{ISSUER}/oauth/token"
    assert doc["revocation_endpoint"] == f"{ISSUER}/oauth/revoke"
    assert doc["introspection_endpoint"] == f"{ISSUER}/oauth/introspect"
    assert doc["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post", "none",
    }  # fmt: skip
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert {"offline_access", "read:me", "read:jira-work"} <= set(doc["scopes_supported"])


def test_jwks_publishes_public_keys_only(world: World) -> None:
    world.tokens("A")
    keys = world.http().get("/.well-known/jwks.json").json()["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256"
        assert key["use"] == "sig" and key["kid"]
        assert "d" not in key


def verify_with_jwks(world: World, token: str) -> dict[str, object]:
    keys = world.http().get("/.well-known/jwks.json").json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    public = ECAlgorithm.from_jwk(json.dumps(jwk))
    claims: dict[str, object] = jwt.decode(
        token,
        public,
        algorithms=["ES256"],
        audience="api.atlassian.com",
        issuer=ISSUER,  # type: ignore[arg-type]
    )
    return claims


def test_access_tokens_verify_against_the_published_jwks(world: World) -> None:
    token = world.tokens("A")["access_token"]
    assert verify_with_jwks(world, token)["client_id"] == world.clients["A"].id


def test_rotated_keys_overlap_for_a_new_process(world: World) -> None:
    """A process started after ``threelo keys rotate`` signs with the new key and still
    publishes (and accepts) the old one until its tokens have expired."""
    old_token = world.tokens("A")["access_token"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    new_key = rotate_keys(world.store, world.clock)
    world.asgi = make_asgi(world)  # a fresh server process over the same store
    world._http.clear()
    new_token = world.tokens("A")["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == new_key.kid
    kids = {k["kid"] for k in world.http().get("/.well-known/jwks.json").json()["keys"]}
    assert {old_kid, new_key.kid} <= kids
    verify_with_jwks(world, old_token)
    assert world.api(old_token) is not None


def test_retired_key_leaves_the_jwks_after_its_tokens_expired(world: World) -> None:
    old_kid = jwt.get_unverified_header(world.tokens("A")["access_token"])["kid"]
    rotate_keys(world.store, world.clock)
    world.clock.advance(hours=1, minutes=1, seconds=1)
    world.asgi = make_asgi(world)
    world._http.clear()
    kids = {k["kid"] for k in world.http().get("/.well-known/jwks.json").json()["keys"]}
    assert old_kid not in kids


def test_running_server_signs_with_the_new_key_after_rotation(world: World) -> None:
    world.tokens("A")
    new_key = rotate_keys(world.store, world.clock)
    world.clock.advance(seconds=31)
    token = world.tokens("A")["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == new_key.kid
