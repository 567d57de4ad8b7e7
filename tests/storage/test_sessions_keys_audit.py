"""Pending authorizations, sessions, signing keys and audit events, on every store."""

from __future__ import annotations

import pytest

from threelo.core.ports import Store

from . import builders as b


def test_a_pending_authorization_round_trips_and_is_deleted_once(store: Store) -> None:
    pending = b.pending()
    bare = b.pending(state=None, prompt=None, code_challenge="abc")
    with store.transaction() as tx:
        tx.pending.add(pending)
        tx.pending.add(bare)
    with store.transaction() as tx:
        assert tx.pending.get(pending.request_id) == pending
        assert tx.pending.get(bare.request_id) == bare
        assert tx.pending.delete(pending.request_id)
        assert not tx.pending.delete(pending.request_id)
    with store.reader() as tx:
        assert tx.pending.get(pending.request_id) is None


def test_sessions_round_trip_and_are_deleted_one_by_one_or_by_account(store: Store) -> None:
    anonymous = b.session()
    signed_in = [b.session(account_id="acc-1", authenticated_at=b.at(2)) for _ in range(2)]
    other = b.session(account_id="acc-2", authenticated_at=b.at(3))
    with store.transaction() as tx:
        for session in [anonymous, *signed_in, other]:
            tx.sessions.add(session)
    with store.transaction() as tx:
        assert tx.sessions.get(anonymous.digest) == anonymous
        assert tx.sessions.get(signed_in[0].digest) == signed_in[0]
        assert tx.sessions.delete_for_account("acc-1") == 2
        tx.sessions.delete(anonymous.digest)
        tx.sessions.delete(anonymous.digest)
    with store.reader() as tx:
        assert tx.sessions.get(anonymous.digest) is None
        assert tx.sessions.get(signed_in[1].digest) is None
        assert tx.sessions.get(other.digest) == other


def test_signing_keys_are_listed_oldest_first_and_retired_once(store: Store) -> None:
    old, new = b.signing_key(created_at=b.at(0)), b.signing_key(created_at=b.at(100))
    with store.transaction() as tx:
        tx.keys.add(new)
        tx.keys.add(old)
        tx.keys.retire(old.kid, b.at(200))
        tx.keys.retire(old.kid, b.at(300))
        tx.keys.retire("missing", b.at(300))
    with store.reader() as tx:
        listed = tx.keys.list()
    assert [k.kid for k in listed] == [old.kid, new.kid]
    assert listed[0].retired_at == b.at(200)
    assert listed[0].public_jwk == old.public_jwk
    assert listed[1] == new


def test_audit_events_come_back_newest_first_with_ids(store: Store) -> None:
    events = [
        b.audit_event(kind="grant.created", client_id="c1", account_id="a1", at=b.at(1)),
        b.audit_event(kind="token.issued", client_id="c1", account_id="a2", at=b.at(2)),
        b.audit_event(kind="grant.revoked", client_id="c2", account_id="a1", cloud_id="s1",
                      at=b.at(3), detail={}),
    ]  # fmt: skip
    with store.transaction() as tx:
        for event in events:
            tx.audit.add(event)
    with store.reader() as tx:
        everything = tx.audit.recent()
        assert [e.kind for e in everything] == ["grant.revoked", "token.issued", "grant.created"]
        ids = [e.event_id or 0 for e in everything]
        assert all(e.event_id for e in everything) and ids == sorted(ids, reverse=True)
        assert everything[0].cloud_id == "s1" and everything[0].detail == {}
        assert everything[2].detail == {"why": "consent"} and everything[2].at == b.at(1)
        assert [e.kind for e in tx.audit.recent(client_id="c1")] == [
            "token.issued",
            "grant.created",
        ]
        assert [e.kind for e in tx.audit.recent(account_id="a1", limit=1)] == ["grant.revoked"]
        assert [e.kind for e in tx.audit.recent(client_id="c1", account_id="a1")] == [
            "grant.created"
        ]
        assert tx.audit.recent(limit=0) == []


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_audit_limit_caps_the_result(store: Store, limit: int) -> None:
    with store.transaction() as tx:
        for n in range(3):
            tx.audit.add(b.audit_event(at=b.at(n)))
    with store.reader() as tx:
        assert len(tx.audit.recent(limit=limit)) == min(limit, 3)


def test_a_session_is_read_with_its_account_in_one_call(store: Store) -> None:
    account = b.account(account_id="acc-1")
    signed_in = b.session(account_id="acc-1", authenticated_at=b.at(1))
    anonymous = b.session()
    orphan = b.session(account_id="acc-gone", authenticated_at=b.at(1))
    with store.transaction() as tx:
        tx.accounts.add(account)
        for session in (signed_in, anonymous, orphan):
            tx.sessions.add(session)
    with store.reader() as tx:
        assert tx.sessions.get_with_account(signed_in.digest) == (signed_in, account)
        assert tx.sessions.get_with_account(anonymous.digest) == (anonymous, None)
        assert tx.sessions.get_with_account(orphan.digest) == (orphan, None)
        assert tx.sessions.get_with_account("missing") is None
        assert tx.sessions.get_with_account("nul\x00") is None
