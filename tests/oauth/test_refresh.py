"""Rotating refresh tokens (CONTRACT §4.6; catalogue RT-01, 02, 05, 06, 07, 09, 10)."""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest

from threelo.core import directory
from threelo.core.grant_admin import revoke_app

from .conftest import INVALID_RT, World

TOKEN_KEYS = {"access_token", "expires_in", "token_type", "scope", "refresh_token"}


def refreshed(world: World, key: str, rt: str, **fields: str) -> dict[str, object]:
    response = world.refresh(key, rt, **fields)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body: dict[str, object] = response.json()
    assert set(body) == TOKEN_KEYS
    return body


def refused(world: World, key: str, rt: str) -> None:
    response = world.refresh(key, rt)
    assert response.status_code == 403, response.text
    assert response.json() == INVALID_RT
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_refresh_rotates_both_tokens(world: World, as_json: bool) -> None:
    """RT-01."""
    first = world.tokens("A")
    response = world.token(
        "A", as_json=as_json, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == TOKEN_KEYS
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    assert second["expires_in"] == 3600
    assert world.api(str(second["access_token"])) is not None
    family = world.family_of_refresh(first["refresh_token"])
    assert family.generation == 2 and family.revoked_at is None


def test_refresh_by_basic_authentication(world: World) -> None:
    rt = world.tokens("A")["refresh_token"]
    response = world.token("A", auth="basic", grant_type="refresh_token", refresh_token=rt)
    assert response.status_code == 200, response.text


def test_public_client_refreshes_without_a_secret(world: World) -> None:
    rt = world.tokens("N")["refresh_token"]
    body = refreshed(world, "N", rt)
    refreshed(world, "N", str(body["refresh_token"]))


def test_just_spent_token_within_the_leeway_gets_a_sibling(world: World) -> None:
    """Lost-response safety: the family survives and both lines keep working for now."""
    rt1 = world.tokens("A")["refresh_token"]
    rt2 = str(refreshed(world, "A", rt1)["refresh_token"])
    world.clock.advance(minutes=5)
    sibling = refreshed(world, "A", rt1)
    rt2b = str(sibling["refresh_token"])
    assert rt2b != rt2
    family = world.family_of_refresh(rt1)
    assert family.revoked_at is None and family.generation == 2
    assert world.api(str(sibling["access_token"])) is not None
    rt3 = str(refreshed(world, "A", rt2)["refresh_token"])
    refreshed(world, "A", rt3)


def test_sibling_dies_once_the_family_moves_on(world: World) -> None:
    """Siblings of one generation: one moves the family on, the other becomes just-spent."""
    rt1 = world.tokens("A")["refresh_token"]
    rt2 = str(refreshed(world, "A", rt1)["refresh_token"])
    rt2b = str(refreshed(world, "A", rt1)["refresh_token"])
    rt3 = str(refreshed(world, "A", rt2)["refresh_token"])
    world.clock.advance(minutes=10, seconds=1)
    refused(world, "A", rt2b)  # just-spent, but after the leeway
    refused(world, "A", rt3)  # ... which revoked the family


def test_leeway_boundary_exactly_ten_minutes_is_still_tolerated(world: World) -> None:
    rt1 = world.tokens("A")["refresh_token"]
    refreshed(world, "A", rt1)
    world.clock.advance(minutes=10)
    refreshed(world, "A", rt1)


def test_just_spent_token_after_the_leeway_revokes_the_family(world: World) -> None:
    """RT-02, the other side of the boundary."""
    tokens = world.tokens("A")
    rt1 = tokens["refresh_token"]
    newest = refreshed(world, "A", rt1)
    world.clock.advance(minutes=10, seconds=1)
    refused(world, "A", rt1)
    family = world.family_of_refresh(rt1)
    assert family.revoked_at is not None
    refused(world, "A", str(newest["refresh_token"]))


def test_older_token_revokes_the_family_even_inside_the_leeway(world: World) -> None:
    """RT-02: the leeway never applies to anything older than the just-spent generation."""
    rt1 = world.tokens("A")["refresh_token"]
    body2 = refreshed(world, "A", rt1)
    body3 = refreshed(world, "A", str(body2["refresh_token"]))
    assert world.api(str(body3["access_token"])) is not None
    refused(world, "A", rt1)
    assert world.family_of_refresh(rt1).revoked_at is not None
    refused(world, "A", str(body3["refresh_token"]))
    assert world.api(str(body3["access_token"])) is None  # at once (RT-02: prefer immediate)
    with world.store.reader() as tx:
        events = tx.audit.recent(client_id=world.clients["A"].id)
    assert any(e.kind == "family.revoked" for e in events)


def test_reuse_revokes_only_that_family(world: World) -> None:
    other = world.tokens("A")
    rt1 = world.tokens("A")["refresh_token"]
    rt2 = str(refreshed(world, "A", rt1)["refresh_token"])
    refreshed(world, "A", rt2)
    refused(world, "A", rt1)
    refreshed(world, "A", other["refresh_token"])


def test_refresh_token_of_another_client_is_refused_and_its_family_revoked(world: World) -> None:
    """RT-06: treated as stolen (RFC 6819 §5.2.2.2)."""
    tokens = world.tokens("A")
    refused(world, "B", tokens["refresh_token"])
    assert world.family_of_refresh(tokens["refresh_token"]).revoked_at is not None
    refused(world, "A", tokens["refresh_token"])
    assert world.api(tokens["access_token"]) is None


def test_public_client_presenting_a_confidential_clients_token_is_refused(world: World) -> None:
    tokens = world.tokens("A")
    refused(world, "N", tokens["refresh_token"])
    refused(world, "A", tokens["refresh_token"])


def test_family_dies_after_ninety_idle_days(world: World) -> None:
    """RT-07, inactivity."""
    rt = world.tokens("A")["refresh_token"]
    world.clock.advance(days=90, seconds=1)
    refused(world, "A", rt)
    assert world.family_of_refresh(rt).revoked_at is not None


def test_use_resets_the_idle_timer(world: World) -> None:
    rt = world.tokens("A")["refresh_token"]
    world.clock.advance(days=90)
    rt = str(refreshed(world, "A", rt)["refresh_token"])
    world.clock.advance(days=89)
    refreshed(world, "A", rt)


def test_family_dies_365_days_after_consent_even_when_used(world: World) -> None:
    """RT-07, absolute: regular use resets only the inactivity timer."""
    rt = world.tokens("A")["refresh_token"]
    for _ in range(4):
        world.clock.advance(days=89)
        rt = str(refreshed(world, "A", rt)["refresh_token"])
    world.clock.advance(days=365 - 4 * 89)
    rt = str(refreshed(world, "A", rt)["refresh_token"])  # exactly 365 days: still alive
    world.clock.advance(seconds=1)
    refused(world, "A", rt)


def test_lifetimes_are_configurable(world_factory: Callable[..., World]) -> None:
    world = world_factory(refresh_idle_ttl=60, refresh_absolute_ttl=3600, refresh_reuse_leeway=5)
    rt = world.tokens("A")["refresh_token"]
    world.clock.advance(seconds=61)
    refused(world, "A", rt)
    rt1 = world.tokens("A")["refresh_token"]
    refreshed(world, "A", rt1)
    world.clock.advance(seconds=6)
    refused(world, "A", rt1)


def test_scope_and_audience_in_a_refresh_are_ignored_never_broadening(world: World) -> None:
    """CONTRACT §4.5 (ignored); RT-05: a broader scope never broadens the result."""
    tokens = world.tokens("A", scopes="read:jira-work offline_access")
    body = refreshed(
        world, "A", tokens["refresh_token"],
        scope="read:jira-work write:jira-work read:me offline_access", audience="evil.test",
    )  # fmt: skip
    assert body["scope"] == "read:jira-work offline_access"
    claims = jwt.decode(str(body["access_token"]), options={"verify_signature": False})
    assert claims["scope"] == "read:jira-work offline_access"
    assert claims["aud"] == "api.atlassian.com"
    context = world.api(str(body["access_token"]))
    assert context is not None and "write:jira-work" not in context.scopes


def test_narrower_scope_in_a_refresh_is_ignored_too(world: World) -> None:
    tokens = world.tokens("A", scopes="read:jira-work read:me offline_access")
    body = refreshed(world, "A", tokens["refresh_token"], scope="read:me")
    assert body["scope"] == "read:jira-work read:me offline_access"


def test_access_token_presented_as_refresh_token_is_refused(world: World) -> None:
    """RT-10."""
    tokens = world.tokens("A")
    refused(world, "A", tokens["access_token"])
    refreshed(world, "A", tokens["refresh_token"])


def test_code_presented_as_refresh_token_is_refused(world: World) -> None:
    code = world.authorization_code("A")
    refused(world, "A", code)
    assert world.redeem("A", code).status_code == 200


def test_unknown_and_missing_refresh_tokens(world: World) -> None:
    refused(world, "A", "x" * 43)
    missing = world.token("A", grant_type="refresh_token")
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_companion_access_token_dies_one_leeway_after_rotation(world: World) -> None:
    """CONTRACT §4.6: the access token beside a spent refresh token."""
    tokens = world.tokens("A")
    body = refreshed(world, "A", tokens["refresh_token"])
    assert world.api(tokens["access_token"]) is not None
    world.clock.advance(minutes=10, seconds=1)
    assert world.api(tokens["access_token"]) is None
    assert world.api(str(body["access_token"])) is not None


def test_password_change_kills_refresh_tokens(world: World) -> None:
    """RT-09."""
    tokens = world.tokens("A")
    directory.set_password(
        world.store, world.accounts["edward"], "another long passphrase", clock=world.clock
    )
    refused(world, "A", tokens["refresh_token"])


def test_deactivation_kills_refresh_tokens(world: World) -> None:
    tokens = world.tokens("A")
    directory.deactivate_account(world.store, world.accounts["edward"], clock=world.clock)
    refused(world, "A", tokens["refresh_token"])


def test_grant_revocation_kills_refresh_tokens(world: World) -> None:
    tokens = world.tokens("A")
    revoke_app(world.platform, world.accounts["edward"], world.clients["A"].id)
    refused(world, "A", tokens["refresh_token"])


def test_second_device_keeps_its_own_family(world: World) -> None:
    """CONTRACT §4.4: a second consent flow never kills the first device's tokens."""
    laptop = world.tokens("A")
    phone = world.tokens("A")
    refreshed(world, "A", phone["refresh_token"])
    refreshed(world, "A", laptop["refresh_token"])


def test_refresh_token_format(world: World) -> None:
    """RT-11: RFC 6749 Appendix A.17 characters, ≥ 256 bits, stored only as a digest."""
    import re

    rts = {world.tokens("A")["refresh_token"] for _ in range(5)}
    assert len(rts) == 5
    for rt in rts:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", rt)
        with world.store.reader() as tx:
            assert tx.refresh_tokens.get(rt) is None  # not stored in clear


# --- the same rules over every store --------------------------------------------------------


def test_rotation_and_reuse_detection_on_every_store(any_world: World) -> None:
    world = any_world
    rt1 = world.tokens("A")["refresh_token"]
    rt2 = str(refreshed(world, "A", rt1)["refresh_token"])
    refreshed(world, "A", rt1)  # sibling inside the leeway
    rt3 = str(refreshed(world, "A", rt2)["refresh_token"])
    refused(world, "A", rt1)  # two generations old
    refused(world, "A", rt3)


def test_code_replay_revokes_on_every_store(any_world: World) -> None:
    world = any_world
    code = world.authorization_code("A")
    tokens = world.redeem("A", code).json()
    assert world.redeem("A", code).status_code == 403
    refused(world, "A", tokens["refresh_token"])


def test_the_grant_records_when_it_was_last_used_to_the_minute(world: World) -> None:
    """Connected apps show "last used"; busy apps do not rewrite it on every request."""
    tokens = world.tokens("A")
    family = world.family_of_refresh(tokens["refresh_token"])
    with world.store.reader() as tx:
        first = tx.grants.get(family.grant_id)
    assert first is not None and first.last_used_at == world.clock.now()

    world.clock.advance(seconds=30)
    tokens = refreshed(world, "A", tokens["refresh_token"])
    with world.store.reader() as tx:
        grant = tx.grants.get(family.grant_id)
    assert grant is not None and grant.last_used_at == first.last_used_at

    world.clock.advance(seconds=31)
    refreshed(world, "A", str(tokens["refresh_token"]))
    with world.store.reader() as tx:
        grant = tx.grants.get(family.grant_id)
    assert grant is not None and grant.last_used_at == world.clock.now()
