"""Accounts, sites, memberships, site admins, apps and app blocks, on every store."""

from __future__ import annotations

import dataclasses

import pytest

from threelo.core.models import AccountStatus, Distribution, Membership, Site
from threelo.core.ports import Conflict, Store

from . import builders as b


def test_an_account_round_trips_with_every_field(store: Store) -> None:
    account = b.account(
        nickname="ada",
        picture="https://example.com/p.png",
        zoneinfo="Europe/London",
        locale="en-GB",
        job_title="Analyst",
        organization="Engines",
        department="R&D",
        location="London",
        email="Ada@Example.com",
    )
    with store.transaction() as tx:
        tx.accounts.add(account)
    with store.reader() as tx:
        assert tx.accounts.get(account.account_id) == account
        assert tx.accounts.get("nobody") is None


def test_email_lookup_ignores_case(store: Store) -> None:
    account = b.account(email="Ada.Lovelace@Example.COM")
    with store.transaction() as tx:
        tx.accounts.add(account)
    with store.reader() as tx:
        assert tx.accounts.get_by_email("ada.lovelace@example.com") == account
        assert tx.accounts.get_by_email("ADA.LOVELACE@EXAMPLE.COM") == account
        assert tx.accounts.get_by_email("someone@example.com") is None


def test_a_second_account_with_the_same_email_in_other_case_conflicts(store: Store) -> None:
    with store.transaction() as tx:
        tx.accounts.add(b.account(email="ada@example.com"))
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.accounts.add(b.account(email="ADA@example.com"))
    with store.reader() as tx:
        assert len(tx.accounts.list()) == 1


def test_a_conflict_leaves_the_unit_of_work_usable(store: Store) -> None:
    first = b.account(email="ada@example.com")
    with store.transaction() as tx:
        tx.accounts.add(first)
    with store.transaction() as tx:
        with pytest.raises(Conflict):
            tx.accounts.add(b.account(email="Ada@Example.com"))
        tx.accounts.add(b.account(account_id="second", email="grace@example.com"))
        assert tx.accounts.get_by_email("ada@example.com") == first
    with store.reader() as tx:
        assert [a.account_id for a in tx.accounts.list()] == [first.account_id, "second"]


def test_a_duplicate_account_id_conflicts(store: Store) -> None:
    with store.transaction() as tx:
        tx.accounts.add(b.account(account_id="a1"))
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.accounts.add(b.account(account_id="a1", email="other@example.com"))


def test_status_and_password_change_only_existing_accounts(store: Store) -> None:
    account = b.account()
    with store.transaction() as tx:
        tx.accounts.add(account)
        assert tx.accounts.set_status(account.account_id, AccountStatus.INACTIVE)
        assert tx.accounts.set_password(account.account_id, "new-hash")
        assert not tx.accounts.set_status("nobody", AccountStatus.INACTIVE)
        assert not tx.accounts.set_password("nobody", "x")
    with store.reader() as tx:
        changed = tx.accounts.get(account.account_id)
    assert changed == dataclasses.replace(
        account, status=AccountStatus.INACTIVE, password_hash="new-hash"
    )
    assert changed is not None and not changed.active


def test_accounts_are_listed_by_email(store: Store) -> None:
    with store.transaction() as tx:
        for email in ("carol@x.io", "Alice@x.io", "bob@x.io"):
            tx.accounts.add(b.account(email=email))
    with store.reader() as tx:
        assert [a.email for a in tx.accounts.list()] == ["Alice@x.io", "bob@x.io", "carol@x.io"]


def test_sites_round_trip_and_list_by_name(store: Store) -> None:
    beta, alpha = b.site(name="Beta"), b.site(name="Alpha", products=("jira",))
    with store.transaction() as tx:
        tx.sites.add(beta)
        tx.sites.add(alpha)
        with pytest.raises(Conflict):
            tx.sites.add(b.site(cloud_id=beta.cloud_id))
    with store.reader() as tx:
        assert tx.sites.get(alpha.cloud_id) == alpha
        assert tx.sites.get("missing") is None
        assert tx.sites.list() == [alpha, beta]


def test_memberships_are_per_product_and_adding_twice_is_harmless(store: Store) -> None:
    jira = Membership("cloud-a", "acc-1", "jira")
    confluence = Membership("cloud-a", "acc-1", "confluence")
    elsewhere = Membership("cloud-b", "acc-1", "jira")
    colleague = Membership("cloud-a", "acc-2", "jira")
    with store.transaction() as tx:
        for membership in (jira, confluence, elsewhere, colleague, jira):
            tx.memberships.add(membership)
    with store.reader() as tx:
        assert tx.memberships.for_account("acc-1") == [confluence, jira, elsewhere]
        assert tx.memberships.for_site("cloud-a") == [confluence, jira, colleague]
        assert tx.memberships.for_account("nobody") == []
    with store.transaction() as tx:
        assert tx.memberships.remove("cloud-a", "acc-1") == 2
        assert tx.memberships.remove("cloud-a", "acc-1") == 0
    with store.reader() as tx:
        assert tx.memberships.for_account("acc-1") == [elsewhere]


def _member_of_two_sites(store: Store) -> tuple[Site, Site, Membership, Membership, Membership]:
    """acc-1 in cloud-a (jira, confluence), cloud-b (jira) and a site that is gone; acc-2 in
    cloud-a. Returns the two sites and acc-1's memberships of them, in with_sites order."""
    site_a, site_b = b.site(cloud_id="cloud-a"), b.site(cloud_id="cloud-b", products=("jira",))
    jira = Membership("cloud-a", "acc-1", "jira")
    confluence = Membership("cloud-a", "acc-1", "confluence")
    elsewhere = Membership("cloud-b", "acc-1", "jira")
    gone = Membership("cloud-gone", "acc-1", "jira")
    colleague = Membership("cloud-a", "acc-2", "jira")
    with store.transaction() as tx:
        tx.sites.add(site_a)
        tx.sites.add(site_b)
        for membership in (jira, confluence, elsewhere, gone, colleague):
            tx.memberships.add(membership)
    return site_a, site_b, confluence, jira, elsewhere


def test_memberships_are_read_with_their_sites_in_one_call(store: Store) -> None:
    site_a, site_b, confluence, jira, elsewhere = _member_of_two_sites(store)
    with store.reader() as tx:
        assert tx.memberships.with_sites("acc-1") == [
            (confluence, site_a), (jira, site_a), (elsewhere, site_b)
        ]  # the membership of a site that is gone is left out
        assert tx.memberships.with_sites("nobody") == []
        assert tx.memberships.with_sites("nul\x00") == []


def test_memberships_are_read_with_their_sites_and_the_apps_blocks_in_one_call(
    store: Store,
) -> None:
    site_a, site_b, confluence, jira, elsewhere = _member_of_two_sites(store)
    with store.transaction() as tx:
        tx.app_site_blocks.block("client-1", "cloud-b", b.at())  # this app, on cloud-b
        tx.app_site_blocks.block("client-2", "cloud-a", b.at())  # another app's block
        tx.app_site_blocks.block("client-1", "cloud-gone", b.at())
    with store.reader() as tx:
        assert tx.memberships.with_sites_and_blocks("acc-1", "client-1") == [
            (confluence, site_a, False), (jira, site_a, False), (elsewhere, site_b, True)
        ]  # each membership once, whatever the blocks; a site that is gone is left out
        assert tx.memberships.with_sites_and_blocks("acc-1", "client-2") == [
            (confluence, site_a, True), (jira, site_a, True), (elsewhere, site_b, False)
        ]
        assert tx.memberships.with_sites_and_blocks("acc-1", "client-3") == [
            (confluence, site_a, False), (jira, site_a, False), (elsewhere, site_b, False)
        ]
        assert tx.memberships.with_sites_and_blocks("nobody", "client-1") == []
        assert tx.memberships.with_sites_and_blocks("nul\x00", "client-1") == []
        assert tx.memberships.with_sites_and_blocks("acc-1", "nul\x00") == [
            (confluence, site_a, False), (jira, site_a, False), (elsewhere, site_b, False)
        ]


def test_site_admins_are_set_and_cleared(store: Store) -> None:
    with store.transaction() as tx:
        tx.site_admins.set_admin("cloud-b", "acc-1", True)
        tx.site_admins.set_admin("cloud-a", "acc-1", True)
        tx.site_admins.set_admin("cloud-a", "acc-1", True)
        tx.site_admins.set_admin("cloud-a", "acc-2", True)
    with store.reader() as tx:
        assert tx.site_admins.is_admin("cloud-a", "acc-1")
        assert tx.site_admins.sites_of("acc-1") == ["cloud-a", "cloud-b"]
    with store.transaction() as tx:
        tx.site_admins.set_admin("cloud-a", "acc-1", False)
        tx.site_admins.set_admin("cloud-a", "acc-9", False)
    with store.reader() as tx:
        assert not tx.site_admins.is_admin("cloud-a", "acc-1")
        assert tx.site_admins.is_admin("cloud-a", "acc-2")
        assert tx.site_admins.sites_of("acc-1") == ["cloud-b"]


def test_an_app_round_trips_updates_and_deletes(store: Store) -> None:
    public = b.app(name="CLI", secret_digest=None, public=True, distribution=Distribution.SHARING)
    private = b.app(name="Board", resource_level=True)
    with store.transaction() as tx:
        tx.apps.add(public)
        tx.apps.add(private)
        with pytest.raises(Conflict):
            tx.apps.add(b.app(client_id=public.client_id))
    with store.reader() as tx:
        assert tx.apps.get(public.client_id) == public
        assert tx.apps.list_by_owner("owner-1") == [private, public]
        assert tx.apps.list_by_owner("nobody") == []
        assert tx.apps.list_public() == [public]
    changed = dataclasses.replace(
        private,
        name="Board 2",
        callback_urls=("https://new.example/cb",),
        scopes=("read:me", "write:jira-work"),
        scopes_version=2,
        secret_digest="cd" * 32,
        distribution=Distribution.SHARING,
    )
    with store.transaction() as tx:
        tx.apps.update(changed)
    with store.reader() as tx:
        assert tx.apps.get(private.client_id) == changed
    with store.transaction() as tx:
        assert tx.apps.delete(private.client_id)
        assert not tx.apps.delete(private.client_id)
    with store.reader() as tx:
        assert tx.apps.get(private.client_id) is None


def test_blocking_an_app_on_a_site_is_idempotent(store: Store) -> None:
    with store.transaction() as tx:
        tx.app_site_blocks.block("client-1", "cloud-a", b.at())
        tx.app_site_blocks.block("client-1", "cloud-a", b.at(5))
        tx.app_site_blocks.block("client-1", "cloud-b", b.at())
        tx.app_site_blocks.block("client-2", "cloud-c", b.at())
    with store.reader() as tx:
        assert tx.app_site_blocks.blocked_sites("client-1") == {"cloud-a", "cloud-b"}
        assert tx.app_site_blocks.blocked_sites("client-3") == frozenset()
