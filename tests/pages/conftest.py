"""Fixtures for the people-facing pages: a small directory, the whole app in-process, browsers
(cookie jars) for each person, and helpers that drive the pages and the OAuth flow the way a
browser and an app would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette

from threelo.core import access, directory, passwords
from threelo.core.clock import FrozenClock
from threelo.core.models import App, Site
from threelo.core.ports import Store
from threelo.settings import Settings
from threelo.storage import MemoryStore
from threelo.web.app import create_app
from threelo.web.common.ratelimit import MemoryRateLimiter

from .client import SyncClient
from .helpers import PASSWORD, login

ISSUER = "http://testserver"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    passwords.configure(time_cost=1, memory_cost=8)


@pytest.fixture(autouse=True)
def fresh_access_cache() -> Iterator[None]:
    access.invalidate_all()
    yield
    access.invalidate_all()


@dataclass
class World:
    """dev and rival develop apps; edward uses S1 (jira+confluence) and S2; alice administers S1
    and uses it; mallory is on S3."""

    store: Store
    clock: FrozenClock
    accounts: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)

    def account(self, name: str) -> str:
        email = f"{name}@example.test"
        made = directory.create_account(self.store, email, name.title(), PASSWORD, clock=self.clock)
        self.accounts[name], self.emails[name] = made.account_id, email
        return made.account_id

    def site(
        self,
        name: str,
        *members: str,
        products: tuple[str, ...] = ("jira",),
        admins: tuple[str, ...] = (),
    ) -> Site:
        made = directory.create_site(self.store, name, products, clock=self.clock)
        for member in members:
            directory.add_member(
                self.store,
                made.cloud_id,
                self.accounts[member],
                admin=member in admins,
                clock=self.clock,
            )
        self.sites[name] = made
        return made

    def app(
        self,
        name: str,
        scopes: str,
        *,
        owner: str = "dev",
        callback: str = "https://app.test/callback",
        distribution: str = "sharing",
    ) -> tuple[App, str]:
        made, secret = directory.create_app(
            self.store,
            name,
            self.accounts[owner],
            [callback],
            scopes.split(),
            distribution=distribution,
            clock=self.clock,
        )
        assert secret is not None
        return made, secret

    def get_app(self, client_id: str) -> App | None:
        with self.store.reader() as tx:
            return tx.apps.get(client_id)

    def audit_kinds(self, **where: str) -> list[str]:
        with self.store.reader() as tx:
            return [e.kind for e in tx.audit.recent(limit=500, **where)]


def build_world(store: Store) -> World:
    world = World(store, FrozenClock(datetime.now(UTC).replace(microsecond=0)))
    for name in ("dev", "rival", "edward", "alice", "mallory"):
        world.account(name)
    world.site("S1", "edward", "alice", products=("jira", "confluence"), admins=("alice",))
    world.site("S2", "edward")
    world.site("S3", "mallory")
    return world


def make_asgi(world: World) -> Starlette:
    settings = Settings(database_url="memory://", issuer=ISSUER, secret_key="p" * 40)
    return create_app(settings, store=world.store, clock=world.clock, limiter=MemoryRateLimiter())


@pytest.fixture
def world() -> World:
    return build_world(MemoryStore())


@pytest.fixture
def any_world(store: Store) -> World:
    """The same test over the memory, SQLite and PostgreSQL stores (the root ``store``)."""
    return build_world(store)


@pytest.fixture
def asgi(world: World) -> Starlette:
    return make_asgi(world)


@pytest.fixture
def browser_for(asgi: Starlette, world: World) -> Iterator[Callable[[str | None], SyncClient]]:
    """``browser_for("edward")`` -> a cookie jar signed in as edward (None: signed out)."""
    made: list[SyncClient] = []

    def make(name: str | None) -> SyncClient:
        client = SyncClient(asgi, ISSUER)
        made.append(client)
        if name is not None:
            response = login(client, world.emails[name])
            assert response.status_code == 303, response.text
        return client

    yield make
    for client in made:
        client.close()
