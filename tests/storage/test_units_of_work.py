"""What every unit of work promises: atomicity, read-only readers, exact times, NUL safety."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from threelo.core.models import AccountStatus, Membership
from threelo.core.ports import Store, Tx
from threelo.storage import ReadOnlyTransaction

from . import builders as b

NUL = "bad\x00key"


class Boom(Exception):
    pass


def test_a_unit_of_work_that_raises_leaves_no_trace(store: Store) -> None:
    kept, grant = b.account(), b.grant()
    with store.transaction() as tx:
        tx.accounts.add(kept)
        tx.grants.add(grant)
    with pytest.raises(Boom), store.transaction() as tx:
        tx.accounts.add(b.account(account_id="ghost"))
        tx.accounts.set_status(kept.account_id, AccountStatus.INACTIVE)
        tx.grants.delete(grant.grant_id)
        tx.memberships.add(Membership("cloud-a", "ghost", "jira"))
        tx.audit.add(b.audit_event())
        raise Boom
    with store.reader() as tx:
        assert tx.accounts.get("ghost") is None
        assert tx.accounts.get(kept.account_id) == kept
        assert tx.grants.get(grant.grant_id) == grant
        assert tx.memberships.for_site("cloud-a") == []
        assert tx.audit.recent() == []


def test_a_unit_of_work_sees_its_own_writes_before_commit(store: Store) -> None:
    with store.transaction() as tx:
        tx.accounts.add(b.account(account_id="a1"))
        assert tx.accounts.get("a1") is not None
        assert tx.codes.redeem("missing", b.at()) is None


def test_a_reader_cannot_write(store: Store) -> None:
    with pytest.raises(ReadOnlyTransaction), store.reader() as tx:
        tx.accounts.add(b.account())
    with store.reader() as tx:
        assert tx.accounts.list() == []


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1999, 12, 31, 19, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
    ids=["utc", "ahead-of-utc", "behind-utc"],
)
def test_aware_times_round_trip_exactly_as_utc(store: Store, moment: datetime) -> None:
    family = b.family(created_at=moment, last_used_at=moment, rotated_at=moment)
    with store.transaction() as tx:
        tx.families.add(family)
    with store.reader() as tx:
        found = tx.families.get(family.family_id)
    assert found is not None
    for value in (found.created_at, found.last_used_at, found.rotated_at):
        assert value == moment
        assert value is not None and value.utcoffset() == timedelta(0)


def test_a_naive_time_is_refused_with_value_error(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), store.transaction() as tx:
        tx.sessions.add(b.session(created_at=datetime(2026, 1, 1)))


LOOKUPS: dict[str, Callable[[Tx], Any]] = {
    "accounts.get": lambda tx: tx.accounts.get(NUL),
    "accounts.get_by_email": lambda tx: tx.accounts.get_by_email(NUL),
    "sites.get": lambda tx: tx.sites.get(NUL),
    "apps.get": lambda tx: tx.apps.get(NUL),
    "grants.get": lambda tx: tx.grants.get(NUL),
    "grants.find": lambda tx: tx.grants.find(NUL, "account-1"),
    "families.get": lambda tx: tx.families.get(NUL, for_update=True),
    "refresh_tokens.get": lambda tx: tx.refresh_tokens.get(NUL),
    "codes.get": lambda tx: tx.codes.get(NUL),
    "pending.get": lambda tx: tx.pending.get(NUL),
    "sessions.get": lambda tx: tx.sessions.get(NUL),
}

EMPTY_ANSWERS: dict[str, Callable[[Tx], Any]] = {
    "accounts.set_status": lambda tx: tx.accounts.set_status(NUL, AccountStatus.INACTIVE),
    "memberships.remove": lambda tx: tx.memberships.remove(NUL, NUL),
    "memberships.for_account": lambda tx: tx.memberships.for_account(NUL),
    "site_admins.is_admin": lambda tx: tx.site_admins.is_admin(NUL, "a"),
    "apps.delete": lambda tx: tx.apps.delete(NUL),
    "apps.list_by_owner": lambda tx: tx.apps.list_by_owner(NUL),
    "app_site_blocks.blocked_sites": lambda tx: tx.app_site_blocks.blocked_sites(NUL),
    "grants.with_site": lambda tx: tx.grants.with_site(NUL),
    "grants.delete": lambda tx: tx.grants.delete(NUL),
    "families.revoke_for_account": lambda tx: tx.families.revoke_for_account(NUL, b.at(), "r"),
    "refresh_tokens.spend": lambda tx: tx.refresh_tokens.spend(NUL, b.at()),
    "codes.redeem": lambda tx: tx.codes.redeem(NUL, b.at()),
    "codes.delete_for_grant": lambda tx: tx.codes.delete_for_grant(NUL),
    "pending.delete": lambda tx: tx.pending.delete(NUL),
    "sessions.delete_for_account": lambda tx: tx.sessions.delete_for_account(NUL),
    "audit.recent": lambda tx: tx.audit.recent(client_id=NUL),
}

ADDS: dict[str, Callable[[Tx], Any]] = {
    "accounts.add": lambda tx: tx.accounts.add(b.account(name="Ada\x00")),
    "accounts.set_password": lambda tx: tx.accounts.set_password("a", "h\x00"),
    "sites.add": lambda tx: tx.sites.add(b.site(products=("ji\x00ra",))),
    "memberships.add": lambda tx: tx.memberships.add(Membership(NUL, "a", "jira")),
    "site_admins.set_admin": lambda tx: tx.site_admins.set_admin(NUL, "a", True),
    "apps.add": lambda tx: tx.apps.add(b.app(callback_urls=("https://x/\x00",))),
    "app_site_blocks.block": lambda tx: tx.app_site_blocks.block(NUL, "c", b.at()),
    "grants.add": lambda tx: tx.grants.add(b.grant(sites=frozenset({NUL}))),
    "families.add": lambda tx: tx.families.add(b.family(revoked_reason=NUL)),
    "refresh_tokens.add": lambda tx: tx.refresh_tokens.add(b.refresh_token(digest=NUL)),
    "codes.add": lambda tx: tx.codes.add(b.code(redirect_uri="https://x/\x00")),
    "pending.add": lambda tx: tx.pending.add(b.pending(state=NUL)),
    "sessions.add": lambda tx: tx.sessions.add(b.session(csrf_secret=NUL)),
    "keys.add": lambda tx: tx.keys.add(b.signing_key(public_jwk={"x": NUL})),
    "audit.add": lambda tx: tx.audit.add(b.audit_event(detail={"k": NUL})),
}


@pytest.mark.parametrize("lookup", LOOKUPS.values(), ids=LOOKUPS.keys())
def test_a_lookup_with_a_nul_finds_nothing(store: Store, lookup: Callable[[Tx], Any]) -> None:
    with store.transaction() as tx:
        assert lookup(tx) is None


@pytest.mark.parametrize("call", EMPTY_ANSWERS.values(), ids=EMPTY_ANSWERS.keys())
def test_other_calls_with_a_nul_answer_empty(store: Store, call: Callable[[Tx], Any]) -> None:
    with store.transaction() as tx:
        assert not call(tx)


@pytest.mark.parametrize("add", ADDS.values(), ids=ADDS.keys())
def test_writing_a_nul_raises_value_error_and_the_unit_goes_on(
    store: Store, add: Callable[[Tx], Any]
) -> None:
    with store.transaction() as tx:
        with pytest.raises(ValueError, match="contains a NUL character"):
            add(tx)
        tx.accounts.add(b.account(account_id="after"))
    with store.reader() as tx:
        assert tx.accounts.get("after") is not None


def test_an_update_with_a_nul_raises_value_error(store: Store) -> None:
    grant = b.grant()
    with store.transaction() as tx:
        tx.grants.add(grant)
        with pytest.raises(ValueError, match="NUL"):
            tx.grants.update(dataclasses.replace(grant, scopes=("read:me\x00",)))
    with store.reader() as tx:
        assert tx.grants.get(grant.grant_id) == grant
