"""The console and grant-management core over the memory store and SQLite: who may do what,
what each change does to grants and tokens' reach, and that every change is audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from threelo.core import app_admin, grant_admin
from threelo.core.app_admin import AppSettingsError, NotFound
from threelo.core.models import AuthorizationCode, Distribution, Grant, TokenFamily
from threelo.core.platform import Platform
from threelo.core.secret_values import digest, matches, new_id

from .conftest import World


def platform_of(world: World) -> Platform:
    return Platform(store=world.store, clock=world.clock)


def grant(world: World, client_id: str, who: str, scopes: str, *sites: str) -> Grant:
    """A grant with one token family and one unredeemed code, as a consent leaves them."""
    now = world.clock.now()
    made = Grant(
        new_id(),
        client_id,
        world.accounts[who],
        tuple(scopes.split()),
        frozenset(world.sites[s].cloud_id for s in sites),
        1,
        now,
        now,
    )
    with world.store.transaction() as tx:
        tx.grants.add(made)
        tx.families.add(
            TokenFamily(
                new_id(), made.grant_id, client_id, made.account_id, made.sites, True, now, now
            )
        )
        tx.codes.add(
            AuthorizationCode(
                digest(new_id()),
                client_id,
                made.account_id,
                made.grant_id,
                "https://app.test/callback",
                made.scopes,
                made.sites,
                None,
                now,
                now + timedelta(minutes=5),
            )
        )
    return made


def live_families(world: World, grant_id: str) -> int:
    with world.store.reader() as tx:
        return sum(1 for f in tx.families.for_grant(grant_id) if f.revoked_at is None)


# --- app_admin --------------------------------------------------------------------------------


def test_a_new_app_has_a_secret_stored_only_as_a_digest(any_world: World) -> None:
    platform = platform_of(any_world)
    app, secret = app_admin.create_app(platform, any_world.accounts["dev"], "Reporter")
    stored = any_world.get_app(app.client_id)
    assert stored is not None and stored.secret_digest is not None
    assert matches(secret, stored.secret_digest)
    assert secret not in repr(stored)
    assert len(secret) >= 43  # 256 bits, URL-safe (CA-12)
    assert (stored.callback_urls, stored.scopes, stored.public) == ((), (), False)
    assert "app.created" in any_world.audit_kinds(client_id=app.client_id)


def test_an_app_name_must_be_printable_and_not_empty(world: World) -> None:
    platform = platform_of(world)
    for bad in ("", "   ", "a\x00b", "x" * 256, "line\nbreak"):
        with pytest.raises(AppSettingsError):
            app_admin.create_app(platform, world.accounts["dev"], bad)


def test_rotating_the_secret_replaces_it_at_once(any_world: World) -> None:
    platform = platform_of(any_world)
    app, old = any_world.app("A", "read:me")
    new = app_admin.rotate_secret(platform, any_world.accounts["dev"], app.client_id)
    stored = any_world.get_app(app.client_id)
    assert stored is not None and stored.secret_digest is not None
    assert matches(new, stored.secret_digest) and not matches(old, stored.secret_digest)
    assert "app.secret_rotated" in any_world.audit_kinds(client_id=app.client_id)


def test_another_developer_gets_not_found_for_every_action_and_is_audited(
    any_world: World,
) -> None:
    platform = platform_of(any_world)
    app, _secret = any_world.app("A", "read:me")
    rival = any_world.accounts["rival"]
    before = any_world.get_app(app.client_id)
    actions = [
        lambda: app_admin.get_app(platform, rival, app.client_id),
        lambda: app_admin.rotate_secret(platform, rival, app.client_id),
        lambda: app_admin.set_callback_urls(platform, rival, app.client_id, ["https://e.test/"]),
        lambda: app_admin.set_scopes(platform, rival, app.client_id, ["read:jira-work"]),
        lambda: app_admin.set_public(platform, rival, app.client_id, True),
        lambda: app_admin.set_resource_level(platform, rival, app.client_id, True),
        lambda: app_admin.set_distribution(platform, rival, app.client_id, "private"),
        lambda: app_admin.recent_events(platform, rival, app.client_id),
        lambda: app_admin.delete_app(platform, rival, app.client_id),
    ]
    for action in actions:
        with pytest.raises(NotFound) as foreign:
            action()
        with pytest.raises(NotFound) as missing:
            app_admin.rotate_secret(platform, rival, "no-such-app")
        assert str(foreign.value) == str(missing.value)  # no leak of existence (DC-04)
    assert any_world.get_app(app.client_id) == before
    with any_world.store.reader() as tx:
        denied = [
            e
            for e in tx.audit.recent(client_id=app.client_id, limit=100)
            if e.kind == "app.access_denied"
        ]
    assert len(denied) == len(actions) and all(e.account_id == rival for e in denied)


def test_callback_urls_are_validated_and_stored_exactly(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("A", "read:me")
    dev = any_world.accounts["dev"]
    for bad in (
        "https://a.test/cb#frag",
        "https://*.a.test/cb",
        "http://a.test/cb",
        "javascript:alert(1)",
        "https://user:pw@a.test/cb",
        "/relative",
        "ftp://a.test/",
    ):
        with pytest.raises(AppSettingsError):
            app_admin.set_callback_urls(platform, dev, app.client_id, [bad])
    with pytest.raises(AppSettingsError, match="at least one"):
        app_admin.set_callback_urls(platform, dev, app.client_id, ["", "  "])
    good = ["https://a.test/cb?x=1", "http://localhost:3000/cb", "http://127.0.0.1/cb"]
    updated = app_admin.set_callback_urls(platform, dev, app.client_id, good)
    assert updated.callback_urls == tuple(good)
    assert any_world.get_app(app.client_id) == updated
    assert "app.callback_urls_changed" in any_world.audit_kinds(client_id=app.client_id)


def test_changing_scopes_bumps_the_version_and_refuses_unknown_ones(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("A", "read:me")
    dev = any_world.accounts["dev"]
    with pytest.raises(AppSettingsError, match="unknown scope write:everything"):
        app_admin.set_scopes(platform, dev, app.client_id, ["read:me", "write:everything"])
    same = app_admin.set_scopes(platform, dev, app.client_id, ["read:me", "offline_access"])
    assert same.scopes_version == app.scopes_version  # offline_access is no app scope
    changed = app_admin.set_scopes(platform, dev, app.client_id, ["read:me", "read:jira-work"])
    assert changed.scopes == ("read:me", "read:jira-work")
    assert changed.scopes_version == app.scopes_version + 1
    assert any_world.audit_kinds(client_id=app.client_id).count("app.scopes_changed") == 1


def test_client_type_grant_type_and_distribution_switch(any_world: World) -> None:
    platform = platform_of(any_world)
    app, old = any_world.app("A", "read:me", distribution="private")
    dev = any_world.accounts["dev"]
    public, none = app_admin.set_public(platform, dev, app.client_id, True)
    assert public.public and public.secret_digest is None and none is None
    confidential, secret = app_admin.set_public(platform, dev, app.client_id, False)
    assert secret is not None and confidential.secret_digest == digest(secret) != digest(old)
    assert app_admin.set_resource_level(platform, dev, app.client_id, True).resource_level
    shared = app_admin.set_distribution(platform, dev, app.client_id, "sharing")
    assert shared.distribution is Distribution.SHARING
    with pytest.raises(AppSettingsError):
        app_admin.set_distribution(platform, dev, app.client_id, "public")
    kinds = any_world.audit_kinds(client_id=app.client_id)
    for kind in ("app.client_type_changed", "app.grant_type_changed", "app.distribution_changed"):
        assert kind in kinds


def test_a_public_client_has_no_secret_to_rotate(world: World) -> None:
    platform = platform_of(world)
    app, _ = world.app("A", "read:me")
    dev = world.accounts["dev"]
    app_admin.set_public(platform, dev, app.client_id, True)
    with pytest.raises(AppSettingsError):
        app_admin.rotate_secret(platform, dev, app.client_id)


def test_deleting_an_app_revokes_every_grant_family_and_code(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("A", "read:me read:jira-work")
    other, _ = any_world.app("B", "read:me")
    g1 = grant(any_world, app.client_id, "edward", "read:me read:jira-work", "S1", "S2")
    g2 = grant(any_world, app.client_id, "alice", "read:me", "S1")
    kept = grant(any_world, other.client_id, "edward", "read:me")
    assert app_admin.delete_app(platform, any_world.accounts["dev"], app.client_id) == 2
    with any_world.store.reader() as tx:
        assert tx.apps.get(app.client_id) is None
        assert tx.grants.get(g1.grant_id) is None and tx.grants.get(g2.grant_id) is None
        assert all(f.revoked_at is not None for f in tx.families.for_grant(g1.grant_id))
        assert tx.grants.get(kept.grant_id) is not None
    assert live_families(any_world, kept.grant_id) == 1
    assert "app.deleted" in any_world.audit_kinds(client_id=app.client_id)


def test_recent_events_are_the_apps_own(world: World) -> None:
    platform = platform_of(world)
    app, _ = world.app("A", "read:me")
    other, _ = world.app("B", "read:me")
    dev = world.accounts["dev"]
    app_admin.rotate_secret(platform, dev, other.client_id)
    events = app_admin.recent_events(platform, dev, app.client_id)
    assert [e.kind for e in events] == ["app.created"]


# --- grant_admin: the user's own grants -------------------------------------------------------


def test_connected_apps_list_the_users_grants_with_names(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("Reporter", "read:me read:jira-work")
    grant(any_world, app.client_id, "edward", "read:me read:jira-work offline_access", "S1")
    any_world.clock.advance(minutes=5)
    listed = grant_admin.connected_apps(platform, any_world.accounts["edward"])
    assert len(listed) == 1
    entry = listed[0]
    assert entry.app_name == "Reporter"
    assert [s.name for s in entry.sites] == ["S1"]
    assert [s.name for s in entry.scopes] == ["read:me", "read:jira-work", "offline_access"]
    assert entry.scopes[1].title == "View Jira issue data"
    assert entry.last_used_at is None
    assert grant_admin.connected_apps(platform, any_world.accounts["mallory"]) == []


def test_connected_apps_show_only_scopes_the_app_still_has(world: World) -> None:
    platform = platform_of(world)
    app, _ = world.app("A", "read:me read:jira-work")
    grant(world, app.client_id, "edward", "read:me read:jira-work", "S1")
    app_admin.set_scopes(platform, world.accounts["dev"], app.client_id, ["read:me"])
    listed = grant_admin.connected_apps(platform, world.accounts["edward"])
    assert [s.name for s in listed[0].scopes] == ["read:me"]


def test_revoking_an_app_deletes_the_grant_its_families_and_codes(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("A", "read:me")
    made = grant(any_world, app.client_id, "edward", "read:me", "S1")
    with pytest.raises(NotFound):
        grant_admin.revoke_app(platform, any_world.accounts["mallory"], app.client_id)
    assert live_families(any_world, made.grant_id) == 1
    grant_admin.revoke_app(platform, any_world.accounts["edward"], app.client_id)
    with any_world.store.reader() as tx:
        assert tx.grants.find(app.client_id, any_world.accounts["edward"]) is None
        assert all(f.revoked_at is not None for f in tx.families.for_grant(made.grant_id))
    assert "grant.revoked" in any_world.audit_kinds(client_id=app.client_id)


def test_removing_one_site_keeps_the_others_and_an_empty_grant(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("A", "read:jira-work")
    made = grant(any_world, app.client_id, "edward", "read:jira-work", "S1", "S2")
    edward, s1, s2 = any_world.accounts["edward"], any_world.sites["S1"], any_world.sites["S2"]
    with pytest.raises(NotFound):
        grant_admin.remove_site(platform, edward, app.client_id, any_world.sites["S3"].cloud_id)
    grant_admin.remove_site(platform, edward, app.client_id, s1.cloud_id)
    with any_world.store.reader() as tx:
        assert tx.grants.get(made.grant_id).sites == {s2.cloud_id}  # type: ignore[union-attr]
    grant_admin.remove_site(platform, edward, app.client_id, s2.cloud_id)
    with any_world.store.reader() as tx:
        pinned = tx.grants.get(made.grant_id)
    # Pinned: with no site left the grant stays, reaching nothing, its families alive.
    assert pinned is not None and pinned.sites == frozenset()
    assert live_families(any_world, made.grant_id) == 1
    assert any_world.audit_kinds(client_id=app.client_id).count("grant.site_removed") == 2


# --- grant_admin: site admins -----------------------------------------------------------------


def test_only_a_sites_admins_see_it(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("A", "read:jira-work")
    grant(any_world, app.client_id, "edward", "read:jira-work", "S1", "S2")
    s1 = any_world.sites["S1"].cloud_id
    for outsider in ("edward", "mallory", "dev"):
        with pytest.raises(NotFound):
            grant_admin.site_overview(platform, any_world.accounts[outsider], s1)
    with pytest.raises(NotFound):
        grant_admin.site_overview(platform, any_world.accounts["alice"], "no-such-site")
    overview = grant_admin.site_overview(platform, any_world.accounts["alice"], s1)
    assert [(a.app_name, [u.name for u in a.users]) for a in overview.apps] == [("A", ["Edward"])]
    assert [
        s.name for s in grant_admin.administered_sites(platform, any_world.accounts["alice"])
    ] == ["S1"]


def test_an_admin_revokes_one_users_access_to_the_site_only(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("A", "read:jira-work")
    made = grant(any_world, app.client_id, "edward", "read:jira-work", "S1", "S2")
    alice, edward = any_world.accounts["alice"], any_world.accounts["edward"]
    s1, s2 = any_world.sites["S1"].cloud_id, any_world.sites["S2"].cloud_id
    with pytest.raises(NotFound):  # alice administers S1, not S2
        grant_admin.revoke_user_on_site(platform, alice, s2, app.client_id, edward)
    grant_admin.revoke_user_on_site(platform, alice, s1, app.client_id, edward)
    with any_world.store.reader() as tx:
        assert tx.grants.get(made.grant_id).sites == {s2}  # type: ignore[union-attr]
    with pytest.raises(NotFound):  # already gone
        grant_admin.revoke_user_on_site(platform, alice, s1, app.client_id, edward)
    assert "grant.site_revoked_by_admin" in any_world.audit_kinds(client_id=app.client_id)


def test_an_admin_removes_an_app_from_the_site_for_everyone(any_world: World) -> None:
    platform = platform_of(any_world)
    app, _ = any_world.app("A", "read:jira-work")
    other, _ = any_world.app("B", "read:jira-work")
    g_edward = grant(any_world, app.client_id, "edward", "read:jira-work", "S1", "S2")
    g_alice = grant(any_world, app.client_id, "alice", "read:jira-work", "S1")
    g_other = grant(any_world, other.client_id, "edward", "read:jira-work", "S1")
    s1, s2 = any_world.sites["S1"].cloud_id, any_world.sites["S2"].cloud_id
    with pytest.raises(NotFound):
        grant_admin.remove_app_from_site(platform, any_world.accounts["edward"], s1, app.client_id)
    assert (
        grant_admin.remove_app_from_site(platform, any_world.accounts["alice"], s1, app.client_id)
        == 2
    )
    with any_world.store.reader() as tx:
        assert tx.grants.get(g_edward.grant_id).sites == {s2}  # type: ignore[union-attr]
        assert tx.grants.get(g_alice.grant_id).sites == frozenset()  # type: ignore[union-attr]
        assert tx.grants.get(g_other.grant_id).sites == {s1}  # type: ignore[union-attr]
        assert tx.app_site_blocks.blocked_sites(app.client_id) == {s1}
    overview = grant_admin.site_overview(platform, any_world.accounts["alice"], s1)
    assert [a.app_name for a in overview.apps] == ["B"]
    assert "app.removed_from_site" in any_world.audit_kinds(client_id=app.client_id)


def test_a_failed_change_writes_nothing(world: World) -> None:
    platform = platform_of(world)
    app, _ = world.app("A", "read:me")
    before = (world.get_app(app.client_id), world.audit_kinds())
    with pytest.raises(AppSettingsError):
        app_admin.set_callback_urls(platform, world.accounts["dev"], app.client_id, ["x"])
    assert (world.get_app(app.client_id), world.audit_kinds()) == before
    assert replace(app) == before[0]
