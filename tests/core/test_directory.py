"""Directory operations: accounts, sites, memberships, apps (CONTRACT §2, §3).

``store`` (tests/conftest.py) runs each test on the memory, SQLite and PostgreSQL stores.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from threelo.core import directory, passwords
from threelo.core.clock import FrozenClock
from threelo.core.directory import DirectoryError
from threelo.core.models import AccountStatus, Distribution, Grant, Session, TokenFamily
from threelo.core.ports import Store
from threelo.core.scopes import Product, Scope, ScopeCatalogue
from threelo.core.secret_values import matches

passwords.configure(time_cost=1, memory_cost=8)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def _snapshot(store: Store) -> tuple[object, ...]:
    with store.reader() as tx:
        accounts = tuple(tx.accounts.list())
        sites = tuple(tx.sites.list())
        members = tuple(m for s in sites for m in tx.memberships.for_site(s.cloud_id))
        apps = tuple(app for a in accounts for app in tx.apps.list_by_owner(a.account_id))
        events = tuple(e.kind for e in tx.audit.recent(limit=1000))
    return accounts, sites, members, apps, events


def _account(store: Store, email: str = "edward@example.com") -> str:
    return directory.create_account(store, email, "Edward Example", "correct horse").account_id


def _events(store: Store) -> list[str]:
    with store.reader() as tx:
        return [e.kind for e in tx.audit.recent(limit=100)]


# -- accounts --------------------------------------------------------------------------------


def test_create_account_keeps_the_profile_and_a_slow_hash(store: Store, clock: FrozenClock) -> None:
    account = directory.create_account(
        store, "  Edward@Example.com ", "Edward Example", "correct horse", nickname="ed",
        zoneinfo="Europe/Berlin", locale="de-DE", job_title="Engineer", department="R&D",
        organization="Acme", location="Berlin", clock=clock,
    )  # fmt: skip
    assert re.fullmatch(r"712020:[0-9a-f-]{36}", account.account_id)
    with store.reader() as tx:
        stored = tx.accounts.get(account.account_id)
    assert stored is not None
    assert stored.email == "Edward@Example.com"
    assert (stored.name, stored.nickname, stored.zoneinfo, stored.locale) == (
        "Edward Example", "ed", "Europe/Berlin", "de-DE",
    )  # fmt: skip
    assert (stored.job_title, stored.department, stored.organization, stored.location) == (
        "Engineer", "R&D", "Acme", "Berlin",
    )  # fmt: skip
    assert stored.status is AccountStatus.ACTIVE
    assert stored.picture.startswith("data:image/svg+xml,")
    assert stored.password_hash.startswith("$argon2id$")
    assert passwords.verify_password(stored.password_hash, "correct horse")
    assert not passwords.verify_password(stored.password_hash, "wrong horse")
    assert "account.created" in _events(store)


def test_account_ids_are_unique_and_nickname_defaults_to_the_name(store: Store) -> None:
    first = directory.create_account(store, "a@example.com", "Ann Lee", "password1")
    second = directory.create_account(store, "b@example.com", "Bob", "password1")
    assert first.account_id != second.account_id
    assert first.nickname == "Ann Lee"


@pytest.mark.parametrize(
    "email", ["EDWARD@example.com", "edward@EXAMPLE.COM", " edward@example.com"]
)
def test_a_duplicate_email_is_refused_whatever_its_case(store: Store, email: str) -> None:
    _account(store)
    before = _snapshot(store)
    with pytest.raises(DirectoryError, match="already exists"):
        directory.create_account(store, email, "Another", "password1")
    assert _snapshot(store) == before


BAD_ACCOUNTS = [
    ({"email": "not-an-email"}, "e-mail"),
    ({"email": "a@b"}, "e-mail"),
    ({"email": "a b@example.com"}, "e-mail"),
    ({"email": "a@@example.com"}, "e-mail"),
    ({"email": ""}, "e-mail"),
    ({"email": "a\x00@example.com"}, "control"),
    ({"email": "a@exa\nmple.com"}, "control"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "Ed\x00ward"}, "control"),
    ({"name": "Ed\nward"}, "control"),
    ({"name": "x" * 256}, "at most"),
    ({"password": "short"}, "at least 8"),
    ({"password": ""}, "at least 8"),
    ({"password": "long enough\x00"}, "NUL"),
    ({"zoneinfo": "Mars/Olympus"}, "time zone"),
    ({"zoneinfo": "../../etc/passwd"}, "time zone"),
    ({"locale": "english please"}, "locale"),
    ({"nickname": "bad\x1b[31m"}, "control"),
    ({"location": "x" * 300}, "at most"),
]


@pytest.mark.parametrize(("change", "problem"), BAD_ACCOUNTS)
def test_bad_account_input_is_refused_before_anything_is_written(
    store: Store, change: dict[str, str], problem: str | None
) -> None:
    fields = {"email": "ok@example.com", "name": "Okay", "password": "password1", **change}
    before = _snapshot(store)
    with pytest.raises(DirectoryError) as refused:
        directory.create_account(store, **fields)  # type: ignore[arg-type]
    if problem:
        assert problem in str(refused.value)
    assert "\n" not in str(refused.value)
    assert _snapshot(store) == before


def _family(store: Store, clock: FrozenClock, account_id: str) -> str:
    now = clock.now()
    grant = Grant(
        "g-" + account_id[-6:], "client", account_id, ("read:me",), frozenset(), 1, now, now
    )
    family = TokenFamily("f-" + account_id[-6:], grant.grant_id, "client", account_id,
                         frozenset(), True, now, now)  # fmt: skip
    with store.transaction() as tx:
        tx.grants.add(grant)
        tx.families.add(family)
        tx.sessions.add(Session("sess-" + account_id[-6:], "csrf", now, now + timedelta(hours=1),
                                account_id, now))  # fmt: skip
    return family.family_id


def test_deactivating_revokes_every_family_and_session(store: Store, clock: FrozenClock) -> None:
    account_id = _account(store)
    other = _account(store, "other@example.com")
    family, kept = _family(store, clock, account_id), _family(store, clock, other)
    clock.advance(minutes=5)
    directory.deactivate_account(store, account_id, clock=clock)
    with store.reader() as tx:
        account = tx.accounts.get(account_id)
        revoked, alive = tx.families.get(family), tx.families.get(kept)
        session = tx.sessions.get("sess-" + account_id[-6:])
    assert account is not None and account.status is AccountStatus.INACTIVE
    assert revoked is not None and revoked.revoked_at == clock.now()
    assert alive is not None and alive.revoked_at is None
    assert session is None
    assert "account.deactivated" in _events(store)


def test_a_new_password_replaces_the_hash_and_ends_families(
    store: Store, clock: FrozenClock
) -> None:
    account_id = _account(store)
    family = _family(store, clock, account_id)
    directory.set_password(store, account_id, "new password!", clock=clock)
    with store.reader() as tx:
        account = tx.accounts.get(account_id)
        revoked = tx.families.get(family)
    assert account is not None
    assert passwords.verify_password(account.password_hash, "new password!")
    assert not passwords.verify_password(account.password_hash, "correct horse")
    assert revoked is not None and revoked.revoked_at is not None
    assert "account.password_changed" in _events(store)


def test_unknown_accounts_and_short_passwords_change_nothing(store: Store) -> None:
    account_id = _account(store)
    before = _snapshot(store)
    with pytest.raises(DirectoryError, match="no account"):
        directory.deactivate_account(store, "712020:nobody")
    with pytest.raises(DirectoryError, match="no account"):
        directory.set_password(store, "712020:nobody", "long enough")
    with pytest.raises(DirectoryError, match="at least 8"):
        directory.set_password(store, account_id, "short")
    with pytest.raises(DirectoryError, match="no account"):
        directory.deactivate_account(store, account_id + "\x00")
    assert _snapshot(store) == before


# -- sites and memberships -------------------------------------------------------------------


def test_create_site_gives_a_cloud_id_a_url_and_an_avatar(store: Store) -> None:
    site = directory.create_site(store, "Acme Corp!", ["jira", "confluence", "jira"])
    assert str(uuid.UUID(site.cloud_id)) == site.cloud_id
    assert site.url == "https://acme-corp.atlassian.example"
    assert site.products == ("jira", "confluence")
    assert site.avatar_url.startswith("data:image/svg+xml,")
    again = directory.create_site(store, "Acme Corp", ["jira"])
    assert again.url == "https://acme-corp-2.atlassian.example"
    given = directory.create_site(store, "Mine", ["jira"], url="https://mine.example.com/")
    assert given.url == "https://mine.example.com"
    with store.reader() as tx:
        assert tx.sites.get(site.cloud_id) == site


def test_a_configured_site_product_may_run_on_a_site(store: Store) -> None:
    bitbucket = Product("bitbucket", "Bitbucket API", (Scope("read:bb", "bitbucket", "t", "d"),))
    catalogue = ScopeCatalogue([*ScopeCatalogue().products.values(), bitbucket])
    site = directory.create_site(store, "Code", ["bitbucket"], catalogue=catalogue)
    assert site.products == ("bitbucket",)


@pytest.mark.parametrize(
    ("products", "url", "problem"),
    [
        (["jira", "trello"], None, "unknown product trello"),
        (["identity"], None, "unknown product identity"),
        ([], None, "unknown product"),
        (["jira"], "ftp://x.example", "scheme"),
        (["jira"], "https://x.example/#f", "fragment"),
        (["jira"], "https://x.example/?a=1", "query"),
        (["jira"], "not a url", "site URL"),
    ],
)
def test_bad_site_input_is_refused(
    store: Store, products: list[str], url: str | None, problem: str
) -> None:
    before = _snapshot(store)
    with pytest.raises(DirectoryError, match=re.escape(problem)):
        directory.create_site(store, "Acme", products, url)
    with pytest.raises(DirectoryError, match="name"):
        directory.create_site(store, " ", ["jira"])
    assert _snapshot(store) == before


def _memberships(store: Store, cloud_id: str) -> set[tuple[str, str]]:
    with store.reader() as tx:
        return {(m.account_id, m.product) for m in tx.memberships.for_site(cloud_id)}


def test_add_member_defaults_to_every_product_and_is_idempotent(store: Store) -> None:
    account_id = _account(store)
    site = directory.create_site(store, "Acme", ["jira", "confluence"])
    assert directory.add_member(store, site.cloud_id, account_id) == ("jira", "confluence")
    directory.add_member(store, site.cloud_id, account_id)
    assert _memberships(store, site.cloud_id) == {(account_id, "jira"), (account_id, "confluence")}
    with store.reader() as tx:
        assert not tx.site_admins.is_admin(site.cloud_id, account_id)


def test_add_member_with_chosen_products_and_admin(store: Store) -> None:
    account_id = _account(store)
    site = directory.create_site(store, "Acme", ["jira", "confluence"])
    directory.add_member(store, site.cloud_id, account_id, ["confluence"], admin=True)
    assert _memberships(store, site.cloud_id) == {(account_id, "confluence")}
    directory.add_member(store, site.cloud_id, account_id, ["jira"])
    with store.reader() as tx:
        assert tx.site_admins.is_admin(site.cloud_id, account_id)
        assert site.cloud_id in tx.site_admins.sites_of(account_id)
    assert "membership.added" in _events(store)


def test_bad_membership_input_is_refused(store: Store) -> None:
    account_id = _account(store)
    site = directory.create_site(store, "Acme", ["jira"])
    before = _snapshot(store)
    with pytest.raises(DirectoryError, match="does not run confluence"):
        directory.add_member(store, site.cloud_id, account_id, ["jira", "confluence"])
    with pytest.raises(DirectoryError, match="no site"):
        directory.add_member(store, str(uuid.uuid4()), account_id)
    with pytest.raises(DirectoryError, match="no account"):
        directory.add_member(store, site.cloud_id, "712020:nobody")
    with pytest.raises(DirectoryError, match="no site"):
        directory.remove_member(store, "nope", account_id)
    with pytest.raises(DirectoryError, match="no account"):
        directory.remove_member(store, site.cloud_id, "nobody")
    assert _snapshot(store) == before


def test_remove_member_removes_every_product_and_admin_right(store: Store) -> None:
    account_id, other = _account(store), _account(store, "o@example.com")
    site = directory.create_site(store, "Acme", ["jira", "confluence"])
    directory.add_member(store, site.cloud_id, account_id, admin=True)
    directory.add_member(store, site.cloud_id, other, ["jira"])
    assert directory.remove_member(store, site.cloud_id, account_id) == 2
    assert _memberships(store, site.cloud_id) == {(other, "jira")}
    with store.reader() as tx:
        assert not tx.site_admins.is_admin(site.cloud_id, account_id)
    assert "membership.removed" in _events(store)
    assert directory.remove_member(store, site.cloud_id, account_id) == 0


# -- apps ------------------------------------------------------------------------------------


def test_create_app_returns_a_secret_stored_only_as_a_digest(store: Store) -> None:
    owner = _account(store)
    app, secret = directory.create_app(
        store, "Incidents", owner, ["https://app.test/cb", "http://127.0.0.1/cb"],
        ["read:me", "offline_access", "read:jira-work", "read:me"], distribution="sharing",
    )  # fmt: skip
    assert secret is not None and len(secret) >= 43
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", app.client_id)
    assert app.scopes == ("read:me", "read:jira-work")
    assert app.distribution is Distribution.SHARING
    with store.reader() as tx:
        stored = tx.apps.get(app.client_id)
    assert stored is not None and stored.secret_digest is not None
    assert secret not in repr(stored)
    assert matches(secret, stored.secret_digest)
    assert stored.callback_urls == ("https://app.test/cb", "http://127.0.0.1/cb")
    assert "app.created" in _events(store)


def test_a_public_app_has_no_secret(store: Store) -> None:
    owner = _account(store)
    app, secret = directory.create_app(
        store, "CLI", owner, ["http://127.0.0.1/cb"], ["read:me"], public=True, resource_level=True
    )
    assert secret is None and app.secret_digest is None
    assert app.public and app.resource_level
    assert app.distribution is Distribution.PRIVATE


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"scopes": ["read:me", "read:everything"]}, "unknown scope read:everything"),
        ({"callback_urls": []}, "at least one callback"),
        ({"callback_urls": ["https://app.test/cb#x"]}, "fragment"),
        ({"callback_urls": ["http://app.test/cb"]}, "https"),
        ({"callback_urls": ["javascript:alert(1)"]}, "scheme"),
        ({"owner_id": "712020:nobody"}, "no account"),
        ({"distribution": "public"}, "distribution"),
        ({"name": ""}, "app name"),
    ],
)
def test_bad_app_input_is_refused(store: Store, change: dict[str, object], problem: str) -> None:
    owner = _account(store)
    fields: dict[str, object] = {
        "name": "App", "owner_id": owner, "callback_urls": ["https://app.test/cb"],
        "scopes": ["read:me"], **change,
    }  # fmt: skip
    before = _snapshot(store)
    with pytest.raises(DirectoryError, match=re.escape(problem)):
        directory.create_app(store, **fields)  # type: ignore[arg-type]
    assert _snapshot(store) == before
