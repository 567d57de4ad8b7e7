"""Demo seeding (threelo.core.demo) and the demo command's helpers, without a server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from threelo.cli.serving import demo_secret, demo_text, secrets_file, with_origin
from threelo.core import passwords
from threelo.core.clock import FrozenClock
from threelo.core.demo import DEMO_ACCOUNTS, DEMO_CALLBACK, seed_demo
from threelo.core.models import Distribution
from threelo.core.ports import Store
from threelo.core.scopes import ScopeCatalogue
from threelo.core.secret_values import matches
from threelo.settings import Settings
from threelo.storage import MemoryStore

SECRET = "s" * 43


def _seed(store: Store, secret: str = SECRET) -> object:
    return seed_demo(store, FrozenClock(), ScopeCatalogue(), "http://127.0.0.1:8000/", secret)


def test_seeding_makes_people_sites_memberships_and_an_app() -> None:
    store = MemoryStore()
    data = seed_demo(store, FrozenClock(), ScopeCatalogue(), "http://127.0.0.1:8000/", SECRET)
    assert data.created
    assert [a.email for a in data.accounts] == [a.email for a in DEMO_ACCOUNTS]
    with store.reader() as tx:
        for demo in data.accounts:
            account = tx.accounts.get(demo.account_id)
            assert account is not None
            assert passwords.verify_password(account.password_hash, demo.password)
        alice = data.accounts[2].account_id
        acme = data.sites[0]
        assert acme.products == ("jira", "confluence")
        assert tx.site_admins.is_admin(acme.cloud_id, alice)
        edward_sites = {m.cloud_id for m in tx.memberships.for_account(data.accounts[0].account_id)}
        assert edward_sites == {data.sites[0].cloud_id, data.sites[1].cloud_id}
    app = data.app
    assert app.owner_id == alice and not app.public
    assert app.callback_urls == (DEMO_CALLBACK,)
    assert app.scopes == ("read:me", "read:jira-user", "read:jira-work", "write:jira-work")
    assert app.distribution is Distribution.SHARING
    assert app.secret_digest is not None and matches(SECRET, app.secret_digest)


def test_seeding_twice_finds_the_same_data() -> None:
    store = MemoryStore()
    first = seed_demo(store, FrozenClock(), ScopeCatalogue(), "http://x", SECRET)
    second = seed_demo(store, FrozenClock(), ScopeCatalogue(), "http://x", SECRET)
    assert not second.created
    assert second.app == first.app and second.sites == first.sites
    assert second.accounts == first.accounts
    with store.reader() as tx:
        assert len(tx.accounts.list()) == 3 and len(tx.sites.list()) == 3


def test_a_lost_secret_is_replaced_on_the_next_seed() -> None:
    store = MemoryStore()
    seed_demo(store, FrozenClock(), ScopeCatalogue(), "http://x", SECRET)
    again = seed_demo(store, FrozenClock(), ScopeCatalogue(), "http://x", "t" * 43)
    assert again.app.secret_digest is not None
    assert matches("t" * 43, again.app.secret_digest)
    with store.reader() as tx:
        stored = tx.apps.get(again.app.client_id)
    assert stored is not None and stored.secret_digest == again.app.secret_digest


def test_the_authorization_url_asks_for_consent_on_the_demo_app() -> None:
    data = seed_demo(MemoryStore(), FrozenClock(), ScopeCatalogue(), "http://h:1/", SECRET)
    url = urlsplit(data.authorization_url)
    assert (url.scheme, url.netloc, url.path) == ("http", "h:1", "/authorize")
    assert "scope=read%3Ame%20read%3Ajira-work%20offline_access" in url.query
    query = parse_qs(url.query)
    assert query["client_id"] == [data.app.client_id]
    assert query["redirect_uri"] == [DEMO_CALLBACK]
    assert query["response_type"] == ["code"] and query["prompt"] == ["consent"]
    assert query["audience"] == ["api.atlassian.com"] and len(query["state"][0]) >= 16
    text = demo_text(data)
    for needle in (data.app.client_id, SECRET, "edward@example.com", "/console", "jwks.json"):
        assert needle in text


def test_the_demo_secret_is_kept_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "threelo-demo.secrets.json"
    secret = demo_secret(path)
    assert demo_secret(path) == secret
    assert path.stat().st_mode & 0o077 == 0
    path.write_text("not json")
    assert demo_secret(path) != secret


def test_the_secrets_file_sits_beside_a_sqlite_database(tmp_path: Path) -> None:
    assert secrets_file("sqlite:///threelo-demo.db") == Path("threelo-demo.secrets.json")
    assert secrets_file(f"sqlite:///{tmp_path}/x.db") == tmp_path / "x.secrets.json"
    assert secrets_file("postgresql://u@h/db") == Path("threelo-demo.secrets.json")


def test_the_issuer_follows_the_served_address_unless_set(monkeypatch: object) -> None:
    settings = Settings()
    assert with_origin(settings, "127.0.0.1", 9000).issuer == "http://127.0.0.1:9000"
    assert with_origin(settings, "0.0.0.0", 9000).issuer == "http://127.0.0.1:9000"
    assert with_origin(settings, "::1", 9000).issuer == "http://[::1]:9000"
