"""verify_cached: answers from memory only what verify_access_token would answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from threelo.core import access as access_module
from threelo.core.access import verify_access_token, verify_cached
from threelo.core.errors import InvalidToken
from threelo.core.ports import Tx

from .conftest import Cast, World


@pytest.fixture(autouse=True)
def long_state_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    # Cached state normally ages out after 2 s; a slow machine must not turn hits into misses.
    monkeypatch.setattr(access_module, "STATE_TTL", 60.0)


def test_an_unseen_token_is_left_to_the_full_check(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    assert verify_cached(world.platform, world.token(grant, family)) is None


def test_a_seen_token_gets_the_same_context_from_memory(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    full = verify_access_token(world.platform, token)
    cached = verify_cached(world.platform, token)
    assert cached is not None
    assert (cached.account, cached.scopes, cached.reach) == (full.account, full.scopes, full.reach)


def test_a_revocation_in_this_process_sends_the_token_back_to_the_store(
    world: World, cast: Cast
) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    verify_access_token(world.platform, token)
    with world.store.transaction() as tx:
        tx.families.revoke(family.family_id, world.clock.now(), "test")
    access_module.invalidate_family(family.family_id)
    assert verify_cached(world.platform, token) is None
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, token)


def test_an_expired_token_is_refused_from_memory(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    verify_access_token(world.platform, token)
    world.clock.advance(hours=2)
    with pytest.raises(InvalidToken):
        verify_cached(world.platform, token)


def test_a_revocation_during_the_state_read_is_not_undone_by_caching_that_read(
    world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another thread revokes and invalidates while this one reads the live state: what was
    # read before the revocation must not be cached as if it were current.
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    load_state = access_module._load_state

    def read_then_revoked_meanwhile(tx: Tx, claims: Mapping[str, Any]) -> Any:
        state = load_state(tx, claims)
        with world.store.transaction() as other:
            other.families.revoke(family.family_id, world.clock.now(), "revoked meanwhile")
        access_module.invalidate_family(family.family_id)
        return state

    monkeypatch.setattr(access_module, "_load_state", read_then_revoked_meanwhile)
    verify_access_token(world.platform, token)  # began before the revocation: may pass
    monkeypatch.setattr(access_module, "_load_state", load_state)
    assert verify_cached(world.platform, token) is None
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, token)
