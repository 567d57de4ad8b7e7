"""Demo data: three people, three sites and one sample app, seeded once.

``seed_demo`` is idempotent: run it again on the same store and it finds what it made before.
Client secrets are stored only as digests, so the caller keeps the demo app's secret (the
command line keeps it in a small file beside the demo database) and passes it in; when the
stored digest does not match it (say the file was lost), the app's secret is set anew.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from threelo.core import directory
from threelo.core.clock import Clock
from threelo.core.models import App, Site
from threelo.core.ports import Store
from threelo.core.scopes import ScopeCatalogue
from threelo.core.secret_values import digest, matches

DEMO_APP_NAME = "Incidents (demo)"
DEMO_CALLBACK = "http://127.0.0.1:8100/callback"  # the example Incidents app's default
DEMO_APP_SCOPES = ("read:me", "read:jira-user", "read:jira-work", "write:jira-work")
DEMO_REQUEST_SCOPES = ("read:me", "read:jira-work", "offline_access")


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    password: str
    name: str
    account_id: str = ""


DEMO_ACCOUNTS = (
    DemoAccount("edward@example.com", "edward-demo", "Edward Example"),
    DemoAccount("mallory@example.com", "mallory-demo", "Mallory Example"),
    DemoAccount("alice@example.com", "alice-demo", "Alice Admin"),
)

# (site name, products, members as (e-mail, admin))
DEMO_SITES: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, bool], ...]], ...] = (
    ("Acme", ("jira", "confluence"),
     (("edward@example.com", False), ("alice@example.com", True))),
    ("Acme Support", ("jira",), (("edward@example.com", False),)),
    ("Mallory Labs", ("jira",), (("mallory@example.com", True),)),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoData:
    accounts: tuple[DemoAccount, ...]
    sites: tuple[Site, ...]
    app: App
    client_secret: str
    base_url: str
    created: bool  # False when the store already held the demo data

    @property
    def urls(self) -> dict[str, str]:
        base = self.base_url
        return {
            "login": f"{base}/login",
            "console": f"{base}/console",
            "connected apps": f"{base}/manage-profile/apps",
            "site admin": f"{base}/admin/sites/{self.sites[0].cloud_id}",
            "JWKS": f"{base}/.well-known/jwks.json",
            "metadata": f"{base}/.well-known/oauth-authorization-server",
        }

    @property
    def authorization_url(self) -> str:
        query = urlencode(
            {
                "audience": "api.atlassian.com",
                "client_id": self.app.client_id,
                "scope": " ".join(DEMO_REQUEST_SCOPES),
                "redirect_uri": DEMO_CALLBACK,
                "state": secrets.token_urlsafe(16),
                "response_type": "code",
                "prompt": "consent",
            },
            quote_via=quote,
            safe="",
        )
        return f"{self.base_url}/authorize?{query}"


def seed_demo(
    store: Store, clock: Clock, catalogue: ScopeCatalogue, base_url: str, client_secret: str
) -> DemoData:
    """Make the demo data unless it is there; make the demo app's secret ``client_secret``."""
    created = _find_account(store, DEMO_ACCOUNTS[0].email) is None
    if created:
        _seed(store, clock, catalogue, client_secret)
    accounts = tuple(_known(store, a) for a in DEMO_ACCOUNTS)
    app = _demo_app(store, accounts[2].account_id)
    app = _ensure_secret(store, clock, app, client_secret)
    with store.reader() as tx:
        by_name = {site.name: site for site in tx.sites.list()}
    sites = tuple(by_name[name] for name, _, _ in DEMO_SITES if name in by_name)
    return DemoData(accounts, sites, app, client_secret, base_url.rstrip("/"), created)


def _seed(store: Store, clock: Clock, catalogue: ScopeCatalogue, client_secret: str) -> None:
    ids: dict[str, str] = {}
    for a in DEMO_ACCOUNTS:
        ids[a.email] = directory.create_account(
            store, a.email, a.name, a.password, clock=clock
        ).account_id
    for name, products, members in DEMO_SITES:
        site = directory.create_site(store, name, products, catalogue=catalogue, clock=clock)
        for email, admin in members:
            directory.add_member(store, site.cloud_id, ids[email], admin=admin, clock=clock)
    app, _ = directory.create_app(
        store, DEMO_APP_NAME, ids["alice@example.com"], [DEMO_CALLBACK], DEMO_APP_SCOPES,
        distribution="sharing", catalogue=catalogue, clock=clock,
    )  # fmt: skip
    _ensure_secret(store, clock, app, client_secret)


def _find_account(store: Store, email: str) -> str | None:
    with store.reader() as tx:
        account = tx.accounts.get_by_email(email)
    return None if account is None else account.account_id


def _known(store: Store, account: DemoAccount) -> DemoAccount:
    account_id = _find_account(store, account.email)
    if account_id is None:
        raise directory.DirectoryError(f"demo account {account.email} is missing")
    return dataclasses.replace(account, account_id=account_id)


def _demo_app(store: Store, owner_id: str) -> App:
    with store.reader() as tx:
        apps = [app for app in tx.apps.list_by_owner(owner_id) if app.name == DEMO_APP_NAME]
    if not apps:
        raise directory.DirectoryError(f"demo app {DEMO_APP_NAME!r} is missing")
    return apps[0]


def _ensure_secret(store: Store, clock: Clock, app: App, client_secret: str) -> App:
    if app.secret_digest is not None and matches(client_secret, app.secret_digest):
        return app
    updated = dataclasses.replace(app, secret_digest=digest(client_secret))
    with store.transaction() as tx:
        tx.apps.update(updated)
        directory.audit(tx, "app.secret_rotated", clock, client_id=app.client_id)
    return updated
