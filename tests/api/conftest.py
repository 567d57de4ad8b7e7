"""Fixtures of the API-face tests: a small directory inserted straight into the store, tokens
minted with the real issuer, the app in-process, and real servers on loopback."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from tests.processes import free_port
from threelo.core import access as access_module
from threelo.core.clock import FrozenClock
from threelo.core.models import Account, App, Grant, Membership, Site, TokenFamily
from threelo.core.platform import Platform
from threelo.core.ports import Store
from threelo.core.products_config import catalogue_for, registry_for
from threelo.core.tokens.access import issue_access_token
from threelo.settings import Settings
from threelo.storage import MemoryStore
from threelo.web.api import routes
from threelo.web.api.limits import ApiLimits
from threelo.web.common.ratelimit import MemoryRateLimiter, RateLimiter
from threelo.web.context import WebContext
from threelo.web.server import HTTP_PROTOCOL

ISSUER = "http://127.0.0.1:8000"


@dataclass
class World:
    """Edward (S1, S2), Mallory (S3), S4 without members, and apps A, B (catalogue §0)."""

    platform: Platform
    clock: FrozenClock

    @property
    def store(self) -> Store:
        return self.platform.store

    def account(self, name: str, **extra: Any) -> Account:
        account = Account(
            account_id=f"acc-{name}-{secrets.token_hex(4)}", email=f"{name}@example.test",
            name=name.title(), password_hash="x", nickname=name,
            picture=f"https://avatars.example.test/{name}.png", zoneinfo="Europe/Paris",
            locale="en-GB", job_title="Engineer", organization="Example",
            department="R&D", location="Paris", **extra,
        )
        with self.store.transaction() as tx:
            tx.accounts.add(account)
        return account

    def site(self, name: str, products: tuple[str, ...] = ("jira",)) -> Site:
        site = Site(str(uuid.uuid4()), name, f"https://{name.lower()}.example.test",
                    f"https://avatars.example.test/{name}.png", products)
        with self.store.transaction() as tx:
            tx.sites.add(site)
        return site

    def member(self, site: Site, account: Account, *products: str) -> None:
        with self.store.transaction() as tx:
            for product in products or site.products:
                tx.memberships.add(Membership(site.cloud_id, account.account_id, product))

    def app(self, owner: Account, scopes: str, *, resource_level: bool = False) -> App:
        app = App(client_id=secrets.token_hex(8), name="App", owner_id=owner.account_id,
                  callback_urls=("https://app.test/cb",), scopes=tuple(scopes.split()),
                  secret_digest="d", resource_level=resource_level)
        with self.store.transaction() as tx:
            tx.apps.add(app)
        return app

    def grant(self, app: App, account: Account, sites: list[Site], scopes: str | None = None
              ) -> tuple[Grant, TokenFamily]:
        now = self.clock.now()
        cloud_ids = frozenset(s.cloud_id for s in sites)
        with self.store.transaction() as tx:
            grant = tx.grants.find(app.client_id, account.account_id)
            if grant is None:
                grant = Grant(secrets.token_hex(8), app.client_id, account.account_id,
                              tuple((scopes or " ".join(app.scopes)).split()), cloud_ids, 1,
                              now, now)
                tx.grants.add(grant)
            else:
                grant = replace(grant, sites=grant.sites | cloud_ids, updated_at=now)
                tx.grants.update(grant)
            family = TokenFamily(secrets.token_hex(8), grant.grant_id, app.client_id,
                                 account.account_id, cloud_ids, True, now, now)
            tx.families.add(family)
        return grant, family

    def token(self, grant: Grant, family: TokenFamily) -> str:
        return issue_access_token(self.platform, grant=grant, family=family,
                                  scopes=grant.scopes).token

    def rotate(self, family: TokenFamily) -> TokenFamily:
        with self.store.transaction() as tx:
            current = tx.families.get(family.family_id)
            assert current is not None
            rotated = replace(current, generation=current.generation + 1,
                              rotated_at=self.clock.now())
            tx.families.update(rotated)
        access_module.invalidate_family(family.family_id)
        return rotated


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    access_module.invalidate_all()
    yield
    access_module.invalidate_all()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def world(clock: FrozenClock) -> World:
    registry = registry_for("")
    platform = Platform(store=MemoryStore(), clock=clock, catalogue=catalogue_for(registry))
    return World(platform, clock)


def make_app(
    world: World,
    *,
    settings: Settings | None = None,
    limiter: RateLimiter | None = None,
    limits: ApiLimits | None = None,
) -> Starlette:
    settings = settings or Settings(issuer=ISSUER, secret_key="k" * 32)
    registry = registry_for(settings.products_file)
    world.platform.catalogue = catalogue_for(registry)
    ctx = WebContext(platform=world.platform, settings=settings,
                     limiter=limiter or MemoryRateLimiter())
    return Starlette(routes=routes(ctx, registry=registry, limits=limits))


class ThreadServer:
    """uvicorn in a thread on loopback, started and stopped by the test (bounded waits)."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="error",
                                lifespan="off", proxy_headers=False,
                                http=HTTP_PROTOCOL)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server(world: World) -> Iterator[ThreadServer]:
    with ThreadServer(make_app(world)) as srv:
        yield srv


@pytest.fixture
def client(server: ThreadServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


@dataclass
class Cast:
    edward: Account
    mallory: Account
    s1: Site
    s2: Site
    s3: Site
    s4: Site
    app_a: App
    app_b: App


@pytest.fixture
def cast(world: World) -> Cast:
    edward, mallory = world.account("edward"), world.account("mallory")
    s1, s2 = world.site("Alpha", ("jira", "confluence")), world.site("Bravo")
    s3, s4 = world.site("Charlie"), world.site("Delta")
    world.member(s1, edward)
    world.member(s2, edward)
    world.member(s3, mallory)
    app_a = world.app(edward, "read:jira-work write:jira-work read:jira-user read:me "
                              "offline_access")
    app_b = world.app(edward, "read:jira-work offline_access")
    return Cast(edward, mallory, s1, s2, s3, s4, app_a, app_b)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
