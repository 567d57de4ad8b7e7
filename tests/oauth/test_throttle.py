"""Throttling failed attempts per client and address (catalogue AC-07, CA-11, PH-12)."""

from __future__ import annotations

from collections.abc import Callable

from threelo.web.oauth.guard import FAILURE_LIMIT

from .conftest import World


def test_code_guessing_is_throttled_per_client_and_address(world: World) -> None:
    attacker = world.http("203.0.113.66")
    real_code = world.authorization_code("A")
    c = world.clients["A"]
    for i in range(FAILURE_LIMIT):
        response = world.redeem("A", f"guess-{i}", http=attacker)
        assert response.status_code == 403
    limited = world.redeem("A", real_code, http=attacker)
    assert limited.status_code == 429
    body = limited.json()
    assert set(body) == {"error", "error_description"}
    assert int(limited.headers["retry-after"]) >= 1
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert name in limited.headers
    assert limited.headers["cache-control"] == "no-store"
    # the owner, from its own address, is not locked out; nor is another client
    legit = world.http("198.51.100.10")
    assert world.redeem("A", real_code, http=legit).status_code == 200
    other = world.token(
        "B", http=attacker, grant_type="authorization_code", code=world.authorization_code("B"),
        redirect_uri=world.clients["B"].callback,
    )  # fmt: skip
    assert other.status_code == 200
    assert c.id  # the key is the client id, not the secret


def test_secret_guessing_is_throttled(world: World) -> None:
    attacker = world.http("203.0.113.67")
    c = world.clients["A"]
    for i in range(FAILURE_LIMIT):
        response = world.token(
            None, http=attacker, client_id=c.id, client_secret=f"guess-{i}",
            grant_type="refresh_token", refresh_token="x",
        )  # fmt: skip
        assert response.status_code == 401
    limited = world.token("A", http=attacker, grant_type="refresh_token", refresh_token="x")
    assert limited.status_code == 429 and "retry-after" in limited.headers
    elsewhere = world.http("198.51.100.11")
    response = world.token("A", http=elsewhere, grant_type="refresh_token", refresh_token="x")
    assert response.status_code == 403


def test_malformed_requests_do_not_count(world: World) -> None:
    http = world.http("203.0.113.68")
    for _ in range(FAILURE_LIMIT + 5):
        response = world.token("A", http=http, grant_type="password")
        assert response.status_code == 400
    code = world.authorization_code("A")
    assert world.redeem("A", code, http=http).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_throttled(
    world_factory: Callable[..., World],
) -> None:
    """With THREELO_TRUST_FORWARDED_FOR, every request arrives from the proxy; the limit must
    still fall on the guessing client's own address, not on everyone behind the proxy."""
    world = world_factory(trust_forwarded_for=True)
    proxy = world.http("10.0.0.2")
    for i in range(FAILURE_LIMIT):
        response = world.redeem(
            "A", f"guess-{i}", http=proxy, headers={"X-Forwarded-For": "203.0.113.70"}
        )
        assert response.status_code == 403
    code = world.authorization_code("A")
    guesser = world.redeem("A", code, http=proxy, headers={"X-Forwarded-For": "203.0.113.70"})
    assert guesser.status_code == 429
    owner = world.redeem("A", code, http=proxy, headers={"X-Forwarded-For": "198.51.100.12"})
    assert owner.status_code == 200
