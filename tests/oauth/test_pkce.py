"""PKCE at the token endpoint (RFC 7636 §4.6; catalogue PK-01, 02, 03, 05, 06, 09)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from threelo.core.secret_values import digest, new_secret

from .conftest import CHALLENGE, INVALID_CODE, VERIFIER, World, random_verifier, s256


def test_valid_pkce_works_for_a_confidential_client(world: World) -> None:
    """PK-09: no over-strict check."""
    code = world.authorization_code("A", challenge=CHALLENGE)
    response = world.redeem("A", code, code_verifier=VERIFIER)
    assert response.status_code == 200, response.text


def test_verifier_without_a_challenge_is_a_downgrade_and_burns_the_code(world: World) -> None:
    """PK-01 (RFC 9700 §4.8.2)."""
    code = world.authorization_code("A")
    response = world.redeem("A", code, code_verifier=random_verifier())
    assert response.status_code == 403 and response.json() == INVALID_CODE
    assert world.redeem("A", code).status_code == 403


def test_challenge_without_verifier_fails(world: World) -> None:
    """PK-02 (RFC 7636 §4.6)."""
    code = world.authorization_code("A", challenge=CHALLENGE)
    response = world.redeem("A", code)
    assert response.status_code == 403 and response.json() == INVALID_CODE


def test_wrong_verifier_burns_the_code(world: World) -> None:
    """PK-03: the right verifier afterwards fails too (no online guessing)."""
    code = world.authorization_code("N")
    wrong = world.redeem("N", code, code_verifier=random_verifier())
    assert wrong.status_code == 403 and wrong.json() == INVALID_CODE
    right = world.redeem("N", code, code_verifier=VERIFIER)
    assert right.status_code == 403


@pytest.mark.parametrize("method", [None, "plain", "S256"])
def test_challenge_sent_as_verifier_is_refused(world: World, method: str | None) -> None:
    """PK-05: the method comes from the stored request only."""
    code = world.authorization_code("N")
    extra = {"code_challenge_method": method} if method else {}
    response = world.redeem("N", code, code_verifier=CHALLENGE, **extra)
    assert response.status_code == 403 and response.json() == INVALID_CODE


def test_code_challenge_method_in_the_token_request_is_ignored(world: World) -> None:
    code = world.authorization_code("N")
    response = world.redeem("N", code, code_challenge_method="plain")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "verifier",
    [
        "a" * 42,
        "a" * 129,
        "!" + "a" * 42,
        "a" * 21 + " " + "a" * 21,
        "é" * 43,
        "a" * 42 + "=",
        "a" * 42 + "+",
    ],
    ids=["42", "129", "bang", "space", "non-ascii", "padding", "plus"],
)
def test_malformed_verifier_is_refused_without_a_server_error(world: World, verifier: str) -> None:
    """PK-06: even when its S256 matches the stored challenge."""
    code = world.authorization_code("N", challenge=s256(verifier))
    response = world.redeem("N", code, code_verifier=verifier)
    assert response.status_code == 403 and response.json() == INVALID_CODE


def test_nul_in_verifier_is_invalid_request(world: World) -> None:
    code = world.authorization_code("N")
    response = world.redeem("N", code, code_verifier=VERIFIER + "\x00")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_longest_and_shortest_valid_verifiers_work(world: World) -> None:
    for verifier in ("A" * 43, "~._-" * 32):
        code = world.authorization_code("N", challenge=s256(verifier))
        response = world.redeem("N", code, code_verifier=verifier)
        assert response.status_code == 200, response.text


def test_public_client_code_without_a_challenge_is_refused(world: World) -> None:
    """Defence in depth (RFC 9700 §2.1.1): the front never issues one; the token side checks."""
    value = new_secret()
    model = world.authorization_code("N")
    with world.store.transaction() as tx:  # a copy of a real code row, minus its challenge
        row = tx.codes.get(digest(model))
        assert row is not None
        tx.codes.add(replace(row, digest=digest(value), code_challenge=None))
    response = world.redeem("N", value)
    assert response.status_code == 403 and response.json() == INVALID_CODE
