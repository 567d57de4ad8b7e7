"""verify_access_token: live state decides what a token may do (CONTRACT §4.4, §4.6, §4.8)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from threelo.core import access as access_module
from threelo.core.access import verify_access_token
from threelo.core.errors import InvalidToken
from threelo.core.models import AccountStatus

from .conftest import Cast, World


def reach(world: World, token: str) -> set[tuple[str, str]]:
    ctx = verify_access_token(world.platform, token)
    return {(r.site.cloud_id, r.product) for r in ctx.reach}


def test_a_fresh_token_reaches_the_granted_sites_it_is_a_member_of(world: World, cast: Cast
                                                                    ) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1, cast.s3])
    ctx = verify_access_token(world.platform, world.token(grant, family))
    assert ctx.account.account_id == cast.edward.account_id
    assert ctx.scopes == grant.scopes
    # S3: granted but edward is no member; S1's confluence: no confluence scope.
    assert {(r.site.cloud_id, r.product) for r in ctx.reach} == {(cast.s1.cloud_id, "jira")}


def test_revoked_family_or_deleted_grant_is_refused_at_once(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    verify_access_token(world.platform, token)
    with world.store.transaction() as tx:
        tx.families.revoke(family.family_id, world.clock.now(), "test")
    access_module.invalidate_family(family.family_id)
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, token)

    grant2, family2 = world.grant(cast.app_b, cast.edward, [cast.s1])
    token2 = world.token(grant2, family2)
    verify_access_token(world.platform, token2)
    with world.store.transaction() as tx:
        tx.grants.delete(grant2.grant_id)
    access_module.invalidate_grant(grant2.grant_id)
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, token2)


def test_without_the_hook_another_process_sees_revocation_within_the_state_ttl(
    world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access_module, "STATE_TTL", 0.2)
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    verify_access_token(world.platform, token)
    with world.store.transaction() as tx:
        tx.families.revoke(family.family_id, world.clock.now(), "elsewhere")
    import time

    time.sleep(0.25)
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, token)


def test_companion_token_dies_one_leeway_after_rotation(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    old = world.token(grant, family)
    rotated = world.rotate(family)
    new = world.token(grant, rotated)
    verify_access_token(world.platform, old)  # within the reuse leeway
    verify_access_token(world.platform, new)
    world.clock.advance(seconds=world.platform.policy.refresh_reuse_leeway.total_seconds() + 1)
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, old)
    verify_access_token(world.platform, new)
    twice = world.rotate(world.rotate(rotated))
    assert twice.generation == 3
    with pytest.raises(InvalidToken):  # two generations behind: never
        verify_access_token(world.platform, new)


def test_a_token_newer_than_the_cached_family_reloads_it(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    verify_access_token(world.platform, world.token(grant, family))
    with world.store.transaction() as tx:  # rotated by "another process": no hook called
        tx.families.update(replace(family, generation=1, rotated_at=world.clock.now()))
    verify_access_token(world.platform, world.token(grant, replace(family, generation=1)))


def test_inactive_account_is_refused(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    with world.store.transaction() as tx:
        tx.accounts.set_status(cast.edward.account_id, AccountStatus.INACTIVE)
    access_module.invalidate_account(cast.edward.account_id)
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, token)


def test_deleted_app_is_refused(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_b, cast.edward, [cast.s1])
    token = world.token(grant, family)
    with world.store.transaction() as tx:
        tx.apps.delete(cast.app_b.client_id)
    access_module.invalidate_app(cast.app_b.client_id)
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, token)


def test_effective_scopes_follow_the_app_and_grant_now(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    with world.store.transaction() as tx:
        tx.apps.update(replace(cast.app_a, scopes=("read:jira-work",)))
    access_module.invalidate_app(cast.app_a.client_id)
    assert verify_access_token(world.platform, token).scopes == ("read:jira-work",)


def test_sites_added_later_reach_old_tokens_of_account_level_apps(world: World, cast: Cast
                                                                  ) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    world.grant(cast.app_a, cast.edward, [cast.s2])  # second consent, second family
    access_module.invalidate_grant(grant.grant_id)
    assert reach(world, token) == {(cast.s1.cloud_id, "jira"), (cast.s2.cloud_id, "jira")}


def test_resource_level_tokens_reach_only_their_consents_sites(world: World, cast: Cast
                                                               ) -> None:
    app = world.app(cast.edward, "read:jira-work", resource_level=True)
    g1, f1 = world.grant(app, cast.edward, [cast.s1])
    g2, f2 = world.grant(app, cast.edward, [cast.s2])
    assert reach(world, world.token(g1, f1)) == {(cast.s1.cloud_id, "jira")}
    assert reach(world, world.token(g2, f2)) == {(cast.s2.cloud_id, "jira")}


def test_membership_loss_and_site_blocks_drop_sites(world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1, cast.s2])
    token = world.token(grant, family)
    with world.store.transaction() as tx:
        tx.memberships.remove(cast.s1.cloud_id, cast.edward.account_id)
        tx.app_site_blocks.block(cast.app_a.client_id, cast.s2.cloud_id, world.clock.now())
    access_module.invalidate_account(cast.edward.account_id)
    assert reach(world, token) == set()


def test_grant_of_another_account_cannot_be_borrowed(world: World, cast: Cast) -> None:
    grant, _ = world.grant(cast.app_a, cast.edward, [cast.s1])
    _, mallory_family = world.grant(cast.app_a, cast.mallory, [cast.s3])
    forged = world.token(grant, mallory_family)  # family of another grant
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, forged)
