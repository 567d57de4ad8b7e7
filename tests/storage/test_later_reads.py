"""``*_later`` reads (core/ports.py ``Later``): sent with the unit's next statement where the store
can, they see what the unit wrote before them and nothing it wrote after, on every store."""

from __future__ import annotations

from tests.storage import builders
from threelo.core.models import Membership
from threelo.core.ports import Store


def test_a_later_app_read_sees_what_came_before_it_and_nothing_after(store: Store) -> None:
    app = builders.app()
    with store.transaction() as tx:
        tx.accounts.add(builders.account(account_id=app.owner_id))
        missing = tx.apps.get_later(app.client_id)
        tx.apps.add(app)
        present = tx.apps.get_later(app.client_id)
        tx.apps.delete(app.client_id)
        assert missing() is None
        assert present() == app
    with store.reader() as tx:
        assert tx.apps.get_later(app.client_id)() is None  # asked for alone
        assert tx.apps.get_later("nul\x00")() is None


def test_a_later_family_read_locks_and_reads_like_of_token(store: Store) -> None:
    family = builders.family()
    token = builders.refresh_token(family_id=family.family_id)
    with store.transaction() as tx:
        tx.families.add(family)
        tx.refresh_tokens.add(token)
    with store.transaction() as tx:
        locked = tx.families.of_token_later(token.digest, for_update=True)
        assert tx.refresh_tokens.get(token.digest) == token
        assert locked() == family
        assert tx.families.of_token_later("unknown")() is None
        assert tx.families.of_token_later("nul\x00")() is None


def test_later_grant_and_session_reads_answer_like_their_plain_reads(store: Store) -> None:
    account = builders.account()
    grant = builders.grant(account_id=account.account_id)
    session = builders.session(account_id=account.account_id)
    with store.transaction() as tx:
        tx.accounts.add(account)
        tx.grants.add(grant)
        tx.sessions.add(session)
    with store.reader() as tx:
        found_grant = tx.grants.find_later(grant.client_id, account.account_id)
        found_session = tx.sessions.get_with_account_later(session.digest)
        assert tx.grants.find_later(grant.client_id, "someone-else")() is None
        assert found_grant() == tx.grants.find(grant.client_id, account.account_id) == grant
        assert found_session() == (session, account)
        assert tx.sessions.get_with_account_later("unknown")() is None
        assert tx.sessions.get_with_account_later("nul\x00")() is None
        assert tx.grants.find_later("nul\x00", account.account_id)() is None


def test_the_bearer_checks_later_reads_answer_like_their_plain_reads(store: Store) -> None:
    account, app, site = builders.account(), builders.app(), builders.site()
    grant = builders.grant(
        account_id=account.account_id, client_id=app.client_id, sites=frozenset({site.cloud_id})
    )
    family = builders.family(grant_id=grant.grant_id)
    with store.transaction() as tx:
        tx.accounts.add(account)
        tx.accounts.add(builders.account(account_id=app.owner_id))
        tx.apps.add(app)
        tx.sites.add(site)
        tx.memberships.add(Membership(site.cloud_id, account.account_id, "jira"))
        tx.grants.add(grant)
        tx.families.add(family)
        tx.app_site_blocks.block(app.client_id, site.cloud_id, builders.at(1))
    with store.reader() as tx:
        answers = (
            tx.grants.get_later(grant.grant_id),
            tx.families.get_later(family.family_id),
            tx.accounts.get_later(account.account_id),
            tx.sites.get_later(site.cloud_id),
            tx.memberships.for_account_later(account.account_id),
            tx.app_site_blocks.blocked_sites_later(app.client_id),
        )
        assert [answer() for answer in answers] == [
            tx.grants.get(grant.grant_id),
            tx.families.get(family.family_id),
            account,
            site,
            tx.memberships.for_account(account.account_id),
            frozenset({site.cloud_id}),
        ]
        assert tx.grants.get(grant.grant_id) == grant
        missing = (
            tx.grants.get_later("none"),
            tx.families.get_later("none"),
            tx.accounts.get_later("none"),
            tx.sites.get_later("none"),
        )
        assert [answer() for answer in missing] == [None] * 4
        assert tx.memberships.for_account_later("none")() == []
        assert tx.app_site_blocks.blocked_sites_later("none")() == frozenset()
        for nul in (
            tx.grants.get_later("n\x00"),
            tx.families.get_later("n\x00"),
            tx.accounts.get_later("n\x00"),
            tx.sites.get_later("n\x00"),
        ):
            assert nul() is None
        assert list(tx.memberships.for_account_later("n\x00")()) == []
        assert tx.app_site_blocks.blocked_sites_later("n\x00")() == frozenset()
