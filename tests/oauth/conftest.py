"""Fixtures for the token side: a small directory (catalogue §0), the app in-process, and
helpers that obtain authorization codes and call the OAuth endpoints.

Codes come from :func:`World.authorization_code`, the one place that knows how a code is
made. Until the authorize front is wired it writes the grant and the code row the way the
front does (a digest of a fresh secret, CONTRACT §4.4 one grant per app and account); the
end-to-end tests in ``test_end_to_end.py`` obtain codes through the real pages instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import pytest
from starlette.applications import Starlette

from threelo.core import directory, passwords
from threelo.core.access import AccessContext, verify_access_token
from threelo.core.clock import FrozenClock
from threelo.core.errors import InvalidToken
from threelo.core.models import App, AuthorizationCode, Grant, Site, TokenFamily
from threelo.core.platform import Platform
from threelo.core.ports import Store
from threelo.core.secret_values import digest, new_id, new_secret
from threelo.settings import Settings
from threelo.storage import MemoryStore
from threelo.web.app import create_app
from threelo.web.common.ratelimit import MemoryRateLimiter

from .client import SyncClient

ISSUER = "http://testserver"
PASSWORD = "correct horse battery staple"
VERIFIER = "kq7Vq2YxJ0b8mWcN4pT_zR1fH6sA9dLe-G3uXoBiE5w"  # 43 unreserved characters
INVALID_CODE = {"error": "invalid_grant", "error_description": "Invalid authorization code"}
INVALID_RT = {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}


def s256(verifier: str) -> str:
    raw = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-urlencode id and secret, then RFC 7617 base64."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode()


CHALLENGE = s256(VERIFIER)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    passwords.configure(time_cost=1, memory_cost=8)


@dataclass
class Client:
    app: App
    secret: str | None

    @property
    def id(self) -> str:
        return self.app.client_id

    @property
    def callback(self) -> str:
        return self.app.callback_urls[0]


@dataclass
class World:
    """edward on S1; mallory on S2; confidential apps A and B, public native N, public SPA W."""

    store: Store
    clock: FrozenClock
    accounts: dict[str, str] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    asgi: Starlette | None = None
    _http: list[SyncClient] = field(default_factory=list)

    # --- directory ---------------------------------------------------------------------

    def account(self, name: str) -> str:
        made = directory.create_account(
            self.store, f"{name}@example.test", name.title(), PASSWORD, clock=self.clock
        )
        self.accounts[name] = made.account_id
        return made.account_id

    def site(self, name: str, *members: str) -> Site:
        made = directory.create_site(self.store, name, ("jira",), clock=self.clock)
        for member in members:
            directory.add_member(self.store, made.cloud_id, self.accounts[member], clock=self.clock)
        self.sites[name] = made
        return made

    def client(
        self, key: str, callbacks: list[str], scopes: str, *, public: bool = False
    ) -> Client:
        app, secret = directory.create_app(
            self.store, f"App {key}", self.accounts["dev"], callbacks, scopes.split(),
            public=public, distribution="sharing", clock=self.clock,
        )  # fmt: skip
        self.clients[key] = Client(app, secret)
        return self.clients[key]

    # --- codes -------------------------------------------------------------------------

    def authorization_code(
        self,
        key: str,
        *,
        account: str = "edward",
        scopes: str = "read:jira-work offline_access",
        redirect_uri: str | None = None,
        challenge: str | None = None,
        sites: tuple[str, ...] = ("S1",),
    ) -> str:
        """A fresh code for ``key``'s app, as the consent step would hand it out."""
        app = self.clients[key].app
        if app.public and challenge is None:
            challenge = CHALLENGE
        now = self.clock.now()
        wanted = tuple(scopes.split())
        cloud_ids = frozenset(self.sites[s].cloud_id for s in sites)
        value = new_secret()
        with self.store.transaction() as tx:
            account_id = self.accounts[account]
            grant = tx.grants.find(app.client_id, account_id)
            if grant is None:
                grant = Grant(
                    grant_id=new_id(), client_id=app.client_id, account_id=account_id,
                    scopes=wanted, sites=cloud_ids, app_scopes_version=app.scopes_version,
                    created_at=now, updated_at=now,
                )  # fmt: skip
                tx.grants.add(grant)
            else:
                grant = replace(grant, scopes=wanted, sites=grant.sites | cloud_ids, updated_at=now)
                tx.grants.update(grant)
            tx.codes.add(
                AuthorizationCode(
                    digest=digest(value),
                    client_id=app.client_id,
                    account_id=account_id,
                    grant_id=grant.grant_id,
                    redirect_uri=redirect_uri or app.callback_urls[0],
                    scopes=wanted,
                    sites=cloud_ids,
                    code_challenge=challenge,
                    issued_at=now,
                    expires_at=now + timedelta(minutes=10),
                )
            )
        return value

    # --- HTTP --------------------------------------------------------------------------

    def http(self, address: str = "198.51.100.7") -> SyncClient:
        assert self.asgi is not None
        made = SyncClient(self.asgi, address=address)
        self._http.append(made)
        return made

    def token(
        self,
        key: str | None,
        *,
        auth: str = "post",
        as_json: bool = False,
        path: str = "/oauth/token",
        http: SyncClient | None = None,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> httpx.Response:
        """POST to a client-authenticated endpoint as ``key``'s client.

        ``auth``: ``post`` (client_secret_post, or client_id only for a public client),
        ``basic`` (client_secret_basic), ``none`` (client_id only), ``raw`` (nothing added)."""
        body: dict[str, Any] = {}
        extra = dict(headers or {})
        if key is not None and auth != "raw":
            c = self.clients[key]
            if auth == "basic":
                extra["Authorization"] = basic(c.id, c.secret or "")
            else:
                body["client_id"] = c.id
                if auth == "post" and c.secret is not None:
                    body["client_secret"] = c.secret
        body.update(fields)
        client = http or (self._http[0] if self._http else self.http())
        if as_json:
            extra.setdefault("Content-Type", "application/json")
            return client.post(path, content=json.dumps(body), headers=extra)
        extra.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return client.post(path, content=urlencode(body), headers=extra)

    def redeem(self, key: str, code: str, **fields: Any) -> httpx.Response:
        c = self.clients[key]
        fields.setdefault("redirect_uri", c.callback)
        if c.app.public:
            fields.setdefault("code_verifier", VERIFIER)
        return self.token(key, grant_type="authorization_code", code=code, **fields)

    def tokens(self, key: str = "A", **code_args: Any) -> dict[str, Any]:
        """A successful code exchange's body."""
        response = self.redeem(key, self.authorization_code(key, **code_args))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def refresh(self, key: str, refresh_token: str, **fields: Any) -> httpx.Response:
        return self.token(key, grant_type="refresh_token", refresh_token=refresh_token, **fields)

    # --- state -------------------------------------------------------------------------

    @property
    def platform(self) -> Platform:
        assert self.asgi is not None
        platform: Platform = self.asgi.state.ctx.platform
        return platform

    def api(self, access_token: str) -> AccessContext | None:
        """What the API face makes of the token (None: refused)."""
        try:
            return verify_access_token(self.platform, access_token)
        except InvalidToken:
            return None

    def family_of_refresh(self, refresh_token: str) -> TokenFamily:
        with self.store.reader() as tx:
            token = tx.refresh_tokens.get(digest(refresh_token))
            assert token is not None
            family = tx.families.get(token.family_id)
        assert family is not None
        return family

    def families(self, key: str, account: str = "edward") -> list[TokenFamily]:
        with self.store.reader() as tx:
            grant = tx.grants.find(self.clients[key].id, self.accounts[account])
            return [] if grant is None else list(tx.families.for_grant(grant.grant_id))

    def close(self) -> None:
        for made in self._http:
            made.close()


def build_world(store: Store, clock: FrozenClock | None = None) -> World:
    world = World(store, clock or FrozenClock(datetime.now(UTC).replace(microsecond=0)))
    for name in ("dev", "edward", "mallory"):
        world.account(name)
    world.site("S1", "edward")
    world.site("S2", "mallory")
    scopes = "read:jira-work write:jira-work read:me offline_access"
    world.client("A", ["https://app-a.test/callback"], scopes)
    world.client("B", ["https://app-b.test/cb"], "read:jira-work offline_access")
    world.client("N", ["http://127.0.0.1/callback"], "read:jira-work offline_access", public=True)
    world.client("W", ["https://spa.test/app/cb"], "read:me offline_access", public=True)
    return world


def make_asgi(world: World, **overrides: object) -> Starlette:
    settings = Settings(database_url="memory://", issuer=ISSUER, secret_key="k" * 40)
    if overrides:
        settings = settings.with_overrides(**overrides)
    return create_app(settings, store=world.store, clock=world.clock, limiter=MemoryRateLimiter())


def open_world(store: Store, **overrides: object) -> World:
    world = build_world(store)
    world.asgi = make_asgi(world, **overrides)
    return world


@pytest.fixture
def world() -> Iterator[World]:
    made = open_world(MemoryStore())
    yield made
    made.close()


@pytest.fixture
def any_world(store: Store) -> Iterator[World]:
    """The same world over the memory, SQLite and PostgreSQL stores (root ``store`` fixture)."""
    made = open_world(store)
    yield made
    made.close()


@pytest.fixture
def world_factory() -> Iterator[Callable[..., World]]:
    made: list[World] = []

    def make(**overrides: object) -> World:
        made.append(open_world(MemoryStore(), **overrides))
        return made[-1]

    yield make
    for w in made:
        w.close()


def random_verifier() -> str:
    return secrets.token_urlsafe(48)[:64]
