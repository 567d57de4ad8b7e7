"""Grants, token families, refresh tokens and authorization codes, on every store."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from threelo.core.models import Account, AuditEvent, Grant
from threelo.core.ports import Conflict, Store, Tx

from . import builders as b


def test_a_grant_round_trips_and_is_found_by_app_and_account(store: Store) -> None:
    grant = b.grant(last_used_at=b.at(30))
    with store.transaction() as tx:
        tx.grants.add(grant)
    with store.reader() as tx:
        assert tx.grants.get(grant.grant_id) == grant
        assert tx.grants.find("client-1", "account-1") == grant
        assert tx.grants.find("client-1", "account-2") is None
        assert tx.grants.get("missing") is None


def test_a_second_grant_for_the_same_app_and_account_conflicts(store: Store) -> None:
    with store.transaction() as tx:
        tx.grants.add(b.grant())
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.grants.add(b.grant())
    with store.transaction() as tx:
        with pytest.raises(Conflict):
            tx.grants.add(b.grant(sites=frozenset({"cloud-z"})))
        tx.grants.add(b.grant(account_id="account-2"))
    with store.reader() as tx:
        assert len(tx.grants.for_app("client-1")) == 2


def test_updating_a_grant_replaces_scopes_and_sites(store: Store) -> None:
    grant = b.grant()
    with store.transaction() as tx:
        tx.grants.add(grant)
    changed = dataclasses.replace(
        grant,
        scopes=("read:jira-work",),
        sites=frozenset({"cloud-b", "cloud-c"}),
        app_scopes_version=2,
        updated_at=b.at(60),
        last_used_at=b.at(61),
    )
    with store.transaction() as tx:
        tx.grants.update(changed)
        tx.grants.update(b.grant(grant_id="missing"))
    with store.reader() as tx:
        assert tx.grants.get(grant.grant_id) == changed
        assert tx.grants.get("missing") is None
        assert tx.grants.with_site("cloud-a") == []
        assert tx.grants.with_site("cloud-c") == [changed]


def test_touching_a_grant_records_its_last_use(store: Store) -> None:
    grant = b.grant()
    with store.transaction() as tx:
        tx.grants.add(grant)
        tx.grants.touch(grant.grant_id, b.at(90))
        tx.grants.touch("missing", b.at(90))
    with store.reader() as tx:
        assert tx.grants.get(grant.grant_id) == dataclasses.replace(grant, last_used_at=b.at(90))


def test_grants_are_listed_by_account_app_and_site_oldest_first(store: Store) -> None:
    late = b.grant(account_id="acc-1", client_id="app-1", created_at=b.at(10))
    early = b.grant(account_id="acc-1", client_id="app-2", created_at=b.at(0))
    other = b.grant(account_id="acc-2", client_id="app-1", sites=frozenset({"cloud-z"}))
    with store.transaction() as tx:
        for grant in (late, early, other):
            tx.grants.add(grant)
    with store.reader() as tx:
        assert tx.grants.for_account("acc-1") == [early, late]
        assert tx.grants.for_app("app-1") == sorted(
            [late, other], key=lambda g: (g.created_at, g.grant_id)
        )
        assert tx.grants.with_site("cloud-a") == [early, late]
        assert tx.grants.with_site("cloud-z") == [other]
        assert tx.grants.for_account("nobody") == []


def test_deleting_a_grant_deletes_its_codes_but_keeps_its_families(store: Store) -> None:
    grant, kept = b.grant(), b.grant(account_id="account-2")
    family = b.family(grant_id=grant.grant_id)
    doomed, other = b.code(grant_id=grant.grant_id), b.code(grant_id=kept.grant_id)
    with store.transaction() as tx:
        tx.grants.add(grant)
        tx.grants.add(kept)
        tx.families.add(family)
        tx.codes.add(doomed)
        tx.codes.add(other)
    with store.transaction() as tx:
        assert tx.grants.delete(grant.grant_id)
        assert not tx.grants.delete(grant.grant_id)
    with store.reader() as tx:
        assert tx.grants.get(grant.grant_id) is None
        assert tx.grants.find("client-1", "account-1") is None
        assert tx.grants.with_site("cloud-a") == [kept]
        assert tx.codes.get(doomed.digest) is None
        assert tx.codes.get(other.digest) == other
        assert tx.families.for_grant(grant.grant_id) == [family]
    with store.transaction() as tx:
        tx.grants.add(dataclasses.replace(grant, grant_id="regranted"))


def test_a_family_round_trips_and_updates(store: Store) -> None:
    family = b.family(sites=frozenset({"cloud-a", "cloud-b"}))
    with store.transaction() as tx:
        tx.families.add(family)
    with store.transaction() as tx:
        assert tx.families.get(family.family_id, for_update=True) == family
        rotated = dataclasses.replace(
            family, generation=1, rotated_at=b.at(10), last_used_at=b.at(10)
        )
        tx.families.update(rotated)
        tx.families.update(b.family(family_id="missing"))
    with store.reader() as tx:
        assert tx.families.get(family.family_id) == rotated
        assert tx.families.get("missing") is None


def test_a_familys_sites_are_fixed_at_creation(store: Store) -> None:
    family = b.family(sites=frozenset({"cloud-a", "cloud-b"}))
    with store.transaction() as tx:
        tx.families.add(family)
        tx.families.update(dataclasses.replace(family, generation=2, sites=frozenset({"x"})))
    with store.reader() as tx:
        assert tx.families.get(family.family_id) == dataclasses.replace(family, generation=2)


def test_a_family_without_sites_round_trips(store: Store) -> None:
    family = b.family(sites=frozenset())
    with store.transaction() as tx:
        tx.families.add(family)
    with store.reader() as tx:
        assert tx.families.get(family.family_id) == family
        assert tx.families.get(family.family_id, for_update=True) == family
        assert tx.families.for_grant(family.grant_id) == [family]


def test_revoking_families_counts_only_live_ones_and_keeps_the_first_reason(store: Store) -> None:
    first = b.family(grant_id="g1", account_id="acc-1", created_at=b.at(0))
    second = b.family(grant_id="g1", account_id="acc-1", created_at=b.at(1))
    third = b.family(grant_id="g2", account_id="acc-1", created_at=b.at(2))
    stranger = b.family(grant_id="g3", account_id="acc-2")
    with store.transaction() as tx:
        for family in (first, second, third, stranger):
            tx.families.add(family)
        tx.families.revoke(first.family_id, b.at(5), "reuse")
        tx.families.revoke(first.family_id, b.at(6), "again")
        tx.families.revoke("missing", b.at(6), "nothing")
        assert tx.families.revoke_for_grant("g1", b.at(7), "grant revoked") == 1
        assert tx.families.revoke_for_account("acc-1", b.at(8), "password changed") == 1
        assert tx.families.revoke_for_grant("g1", b.at(9), "grant revoked") == 0
    with store.reader() as tx:
        revoked = {f.family_id: f for f in tx.families.for_grant("g1")}
        assert [f.family_id for f in tx.families.for_grant("g1")] == [
            first.family_id,
            second.family_id,
        ]
        last = tx.families.get(third.family_id)
        untouched = tx.families.get(stranger.family_id)
    assert (revoked[first.family_id].revoked_at, revoked[first.family_id].revoked_reason) == (
        b.at(5),
        "reuse",
    )
    assert revoked[second.family_id].revoked_reason == "grant revoked"
    assert last is not None and (last.revoked_at, last.revoked_reason) == (
        b.at(8),
        "password changed",
    )
    assert untouched == stranger


def test_updating_a_family_never_brings_a_revoked_family_back(store: Store) -> None:
    family = b.family()
    with store.transaction() as tx:
        tx.families.add(family)
        tx.families.revoke(family.family_id, b.at(5), "reuse")
        tx.families.update(dataclasses.replace(family, generation=3, revoked_reason="other"))
    with store.reader() as tx:
        found = tx.families.get(family.family_id)
    assert found is not None
    assert (found.generation, found.revoked_at, found.revoked_reason) == (3, b.at(5), "reuse")


def test_updating_a_live_family_can_revoke_it(store: Store) -> None:
    family = b.family()
    revoked = dataclasses.replace(family, revoked_at=b.at(3), revoked_reason="expired")
    with store.transaction() as tx:
        tx.families.add(family)
        tx.families.update(revoked)
    with store.reader() as tx:
        assert tx.families.get(family.family_id) == revoked


def test_a_refresh_token_is_spent_exactly_once(store: Store) -> None:
    token = b.refresh_token()
    with store.transaction() as tx:
        tx.refresh_tokens.add(token)
    with store.transaction() as tx:
        assert tx.refresh_tokens.get(token.digest) == token
        assert tx.refresh_tokens.spend(token.digest, b.at(10))
        assert not tx.refresh_tokens.spend(token.digest, b.at(11))
        assert not tx.refresh_tokens.spend("missing", b.at(11))
    with store.reader() as tx:
        assert tx.refresh_tokens.get(token.digest) == dataclasses.replace(token, spent_at=b.at(10))
        assert tx.refresh_tokens.get("missing") is None


def test_spending_a_generation_spends_only_its_unspent_tokens(store: Store) -> None:
    g0 = b.refresh_token(generation=0)
    g1 = b.refresh_token(generation=1)
    g1_spent = b.refresh_token(generation=1, spent_at=b.at(1))
    other_family = b.refresh_token(family_id="family-2", generation=1)
    with store.transaction() as tx:
        for token in (g0, g1, g1_spent, other_family):
            tx.refresh_tokens.add(token)
        tx.refresh_tokens.spend_generation("family-1", 1, b.at(20))
        tx.refresh_tokens.spend_generation("family-1", 1, b.at(21))  # spends nothing more
    with store.reader() as tx:
        assert tx.refresh_tokens.get(g1.digest) == dataclasses.replace(g1, spent_at=b.at(20))
        assert tx.refresh_tokens.get(g1_spent.digest) == g1_spent
        assert tx.refresh_tokens.get(g0.digest) == g0
        assert tx.refresh_tokens.get(other_family.digest) == other_family


def test_a_code_is_redeemed_exactly_once_and_remembers_its_family(store: Store) -> None:
    code, public = b.code(), b.code(code_challenge=None, sites=frozenset())
    with store.transaction() as tx:
        tx.codes.add(code)
        tx.codes.add(public)
    with store.transaction() as tx:
        assert tx.codes.get(public.digest) == public
        redeemed = tx.codes.redeem(code.digest, b.at(5))
        assert redeemed == dataclasses.replace(code, redeemed_at=b.at(5))
        assert not tx.codes.redeem(code.digest, b.at(6))
        assert not tx.codes.redeem("missing", b.at(6))
        tx.codes.set_family(code.digest, "family-9")
        tx.codes.set_family("missing", "family-9")
    with store.reader() as tx:
        assert tx.codes.get(code.digest) == dataclasses.replace(
            code, redeemed_at=b.at(5), family_id="family-9"
        )
        assert tx.codes.get("missing") is None


def test_codes_are_deleted_by_grant(store: Store) -> None:
    mine = [b.code(grant_id="g1"), b.code(grant_id="g1")]
    theirs = b.code(grant_id="g2")
    with store.transaction() as tx:
        for code in [*mine, theirs]:
            tx.codes.add(code)
        assert tx.codes.delete_for_grant("g1") == 2
        assert tx.codes.delete_for_grant("g1") == 0
    with store.reader() as tx:
        assert tx.codes.get(theirs.digest) == theirs
        assert all(tx.codes.get(code.digest) is None for code in mine)


# A family, refresh token or code is added under a fresh random key. A duplicate all the same
# fails its whole unit of work, whether the store reports it at once or with a later statement
# (PostgreSQL sends these writes with the next one): nothing of that unit is committed, and the
# row already there is untouched.
DUPLICATES: dict[str, Callable[[Tx, str], None]] = {
    "family": lambda tx, key: tx.families.add(b.family(family_id=key, grant_id="other")),
    "refresh token": lambda tx, key: tx.refresh_tokens.add(
        b.refresh_token(digest=key, generation=7)
    ),
    "code": lambda tx, key: tx.codes.add(b.code(digest=key, client_id="client-2")),
}


@pytest.mark.parametrize("kind", list(DUPLICATES))
def test_a_duplicate_key_fails_the_whole_unit_of_work(store: Store, kind: str) -> None:
    family, token, code = b.family(), b.refresh_token(), b.code()
    with store.transaction() as tx:
        tx.families.add(family)
        tx.refresh_tokens.add(token)
        tx.codes.add(code)
    key = {"family": family.family_id, "refresh token": token.digest, "code": code.digest}[kind]
    bystander = b.grant(account_id="account-9")
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.grants.add(bystander)
        DUPLICATES[kind](tx, key)
        tx.audit.add(AuditEvent(kind="after.the.duplicate", at=b.at(3)))
    with store.reader() as tx:
        assert tx.families.get(family.family_id) == family
        assert tx.refresh_tokens.get(token.digest) == token
        assert tx.codes.get(code.digest) == code
        assert tx.grants.get(bystander.grant_id) is None
        assert not [e for e in tx.audit.recent() if e.kind == "after.the.duplicate"]


def test_a_grant_is_read_with_its_account_in_one_call(store: Store) -> None:
    grant, orphan = b.grant(), b.grant(client_id="client-2", account_id="account-gone")
    account = b.account(account_id="account-1")
    with store.transaction() as tx:
        tx.accounts.add(account)
        tx.accounts.add(b.account(account_id="account-2"))
        tx.grants.add(grant)
        tx.grants.add(orphan)
    with store.reader() as tx:
        assert tx.grants.get_with_account(grant.grant_id) == (grant, account)
        assert tx.grants.get_with_account(orphan.grant_id) == (orphan, None)
        assert tx.grants.get_with_account("missing") is None
        assert tx.grants.get_with_account("nul\x00") is None


def test_a_family_is_found_and_locked_through_one_of_its_tokens(store: Store) -> None:
    family = b.family(sites=frozenset({"cloud-a", "cloud-b"}))
    other = b.family()
    token = b.refresh_token(family_id=family.family_id)
    with store.transaction() as tx:
        tx.families.add(family)
        tx.families.add(other)
        tx.refresh_tokens.add(token)
        tx.refresh_tokens.add(b.refresh_token(family_id=other.family_id))
    with store.transaction() as tx:
        assert tx.families.of_token(token.digest, for_update=True) == family
        assert tx.families.of_token("missing", for_update=True) is None
        assert tx.families.of_token("nul\x00", for_update=True) is None
    with store.reader() as tx:
        assert tx.families.of_token(token.digest) == family


def _grant_and_orphan(store: Store) -> tuple[Account, Grant, Grant]:
    """account-1 with a grant on two sites (the joins return two rows that must fold into one
    grant), and a grant whose account is gone."""
    account = b.account(account_id="account-1")
    grant = b.grant()
    orphan = b.grant(client_id="client-2", account_id="account-gone")
    with store.transaction() as tx:
        tx.accounts.add(account)
        tx.grants.add(grant)
        tx.grants.add(orphan)
    return account, grant, orphan


def test_a_code_is_redeemed_with_its_grant_and_account_in_one_call(store: Store) -> None:
    """The code exchange's first read (one statement on PostgreSQL): the same answers as
    ``redeem`` followed by ``get_with_account``, and the code burnt exactly once."""
    account, grant, orphan = _grant_and_orphan(store)
    code = b.code(grant_id=grant.grant_id)
    of_orphan = b.code(grant_id=orphan.grant_id, account_id="account-gone")
    of_nothing = b.code(grant_id="grant-deleted")
    with store.transaction() as tx:
        for c in (code, of_orphan, of_nothing):
            tx.codes.add(c)
    with store.transaction() as tx:
        assert tx.codes.redeem_with_grant(code.digest, b.at(5)) == (
            dataclasses.replace(code, redeemed_at=b.at(5)),
            (grant, account),
        )
        assert tx.codes.redeem_with_grant(code.digest, b.at(6)) is None  # burnt already
        assert tx.codes.redeem_with_grant(of_orphan.digest, b.at(5)) == (
            dataclasses.replace(of_orphan, redeemed_at=b.at(5)),
            (orphan, None),
        )
        assert tx.codes.redeem_with_grant(of_nothing.digest, b.at(5)) == (
            dataclasses.replace(of_nothing, redeemed_at=b.at(5)),
            None,
        )
        assert tx.codes.redeem_with_grant("missing", b.at(5)) is None
        assert tx.codes.redeem_with_grant("nul\x00", b.at(5)) is None
    with store.reader() as tx:  # the burn committed with the unit
        assert tx.codes.get(code.digest) == dataclasses.replace(code, redeemed_at=b.at(5))
        burnt = dataclasses.replace(of_nothing, redeemed_at=b.at(5))
        assert tx.codes.get(of_nothing.digest) == burnt


def test_a_code_redeemed_with_its_grant_in_a_unit_that_failed_stays_redeemable(
    store: Store,
) -> None:
    code = b.code()
    with store.transaction() as tx:
        tx.codes.add(code)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        assert tx.codes.redeem_with_grant(code.digest, b.at(5)) is not None
        raise RuntimeError("boom")
    with store.transaction() as tx:
        found = tx.codes.redeem_with_grant(code.digest, b.at(7))
        assert found is not None and found[0].redeemed_at == b.at(7)


def test_a_refresh_token_is_read_with_its_familys_grant_and_account_in_one_call(
    store: Store,
) -> None:
    account, grant, orphan = _grant_and_orphan(store)
    family = b.family(grant_id=grant.grant_id)
    of_orphan = b.family(grant_id=orphan.grant_id, account_id="account-gone")
    of_nothing = b.family(grant_id="grant-deleted")
    tokens = [b.refresh_token(family_id=f.family_id) for f in (family, of_orphan, of_nothing)]
    lost = b.refresh_token(family_id="family-deleted")
    with store.transaction() as tx:
        for f in (family, of_orphan, of_nothing):
            tx.families.add(f)
        for token in [*tokens, lost]:
            tx.refresh_tokens.add(token)
    with store.reader() as tx:
        assert tx.refresh_tokens.get_with_grant(tokens[0].digest) == (tokens[0], (grant, account))
        assert tx.refresh_tokens.get_with_grant(tokens[1].digest) == (tokens[1], (orphan, None))
        assert tx.refresh_tokens.get_with_grant(tokens[2].digest) == (tokens[2], None)
        assert tx.refresh_tokens.get_with_grant(lost.digest) == (lost, None)
        assert tx.refresh_tokens.get_with_grant("missing") is None
        assert tx.refresh_tokens.get_with_grant("nul\x00") is None
