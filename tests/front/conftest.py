"""Fixtures for the authorization front: a small directory (catalogue §0), the app in-process,
and helpers that drive sign-in, authorize and consent the way a browser would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette

from threelo.core import directory, passwords
from threelo.core.clock import FrozenClock
from threelo.core.models import App, Site
from threelo.core.ports import Store
from threelo.settings import Settings
from threelo.storage import MemoryStore, open_store
from threelo.web.app import create_app
from threelo.web.common.ratelimit import MemoryRateLimiter

from .browser_client import SyncClient
from .helpers import PASSWORD

ISSUER = "http://testserver"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    passwords.configure(time_cost=1, memory_cost=8)


@dataclass
class World:
    """Catalogue §0: edward on S1, S2; mallory on S3; S4 has no member; apps A, B, N, E."""

    store: Store
    clock: FrozenClock
    accounts: dict[str, str] = field(default_factory=dict)  # name -> account id
    emails: dict[str, str] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)

    def account(self, name: str, *, email: str | None = None) -> str:
        email = email or f"{name}@example.test"
        acct = directory.create_account(self.store, email, name.title(), PASSWORD, clock=self.clock)
        self.accounts[name], self.emails[name] = acct.account_id, email
        return acct.account_id

    def site(self, name: str, *members: str, products: tuple[str, ...] = ("jira",)) -> Site:
        site = directory.create_site(self.store, name, products, clock=self.clock)
        for member in members:
            directory.add_member(self.store, site.cloud_id, self.accounts[member], clock=self.clock)
        self.sites[name] = site
        return site

    def app(
        self,
        key: str,
        callbacks: list[str],
        scopes: str,
        *,
        owner: str = "dev",
        public: bool = False,
        distribution: str = "sharing",
        name: str | None = None,
    ) -> App:
        made, _ = directory.create_app(
            self.store,
            name or f"App {key}",
            self.accounts[owner],
            callbacks,
            scopes.split(),
            public=public,
            distribution=distribution,
            clock=self.clock,
        )
        self.apps[key] = made
        return made

    def put_app(self, key: str, app: App) -> App:
        """Store an app as is (names the directory would refuse, for escaping tests)."""
        with self.store.transaction() as tx:
            tx.apps.add(app)
        self.apps[key] = app
        return app


def build_world(store: Store) -> World:
    world = World(store, FrozenClock())
    for name in ("dev", "edward", "mallory", "alice"):
        world.account(name)
    world.site("S1", "edward", "alice", products=("jira", "confluence"))
    world.site("S2", "edward")
    world.site("S3", "mallory")
    world.site("S4")
    world.site("Wiki", "edward", products=("confluence",))
    world.app(
        "A",
        ["https://app-a.test/callback"],
        "read:jira-work write:jira-work read:me offline_access",
    )
    world.app(
        "B",
        ["https://app-b.test/cb", "https://app-b.test/cb?tenant=1"],
        "read:jira-work offline_access",
    )
    world.app("N", ["http://127.0.0.1/callback"], "read:jira-work offline_access", public=True)
    world.app("E", ["https://evil.test/cb"], "read:me", owner="mallory")
    world.app("P", ["https://private.test/cb"], "read:jira-work", distribution="private")
    return world


def make_app(
    world: World, limiter: MemoryRateLimiter | None = None, **overrides: object
) -> Starlette:
    settings = Settings(database_url="memory://", issuer=ISSUER, secret_key="k" * 40)
    if overrides:
        settings = settings.with_overrides(**overrides)
    return create_app(
        settings, store=world.store, clock=world.clock, limiter=limiter or MemoryRateLimiter()
    )


@pytest.fixture
def world() -> World:
    return build_world(MemoryStore())


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    store = open_store(f"sqlite:///{tmp_path / 'front.db'}")
    yield build_world(store)
    store.close()


@pytest.fixture
def app(world: World) -> Starlette:
    return make_app(world)


@pytest.fixture
def new_client(app: Starlette) -> Iterator[Callable[..., SyncClient]]:
    """``new_client(address=...)`` -> another browser (own cookies) on the same app."""
    made: list[SyncClient] = []

    def make(**kwargs: str) -> SyncClient:
        made.append(SyncClient(app, **kwargs))
        return made[-1]

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client(new_client: Callable[..., SyncClient]) -> SyncClient:
    return new_client()


@pytest.fixture
def edward(client: SyncClient, world: World) -> SyncClient:
    """A browser where edward is signed in."""
    from .helpers import login

    response = login(client, world.emails["edward"])
    assert response.status_code == 303
    return client
