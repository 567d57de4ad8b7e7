"""Domain values with sensible defaults, for the storage suite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from threelo.core.models import (
    Account,
    App,
    AuditEvent,
    AuthorizationCode,
    Grant,
    PendingAuthorization,
    RefreshToken,
    Session,
    SigningKey,
    Site,
    TokenFamily,
)
from threelo.core.secret_values import new_id

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def at(seconds: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds)


def account(**overrides: Any) -> Account:
    account_id = overrides.pop("account_id", new_id())
    values: dict[str, Any] = {
        "email": f"{account_id}@example.com",
        "name": "Ada Lovelace",
        "password_hash": "$argon2id$v=19$...",
        "created_at": T0,
    }
    return Account(account_id=account_id, **(values | overrides))


def site(**overrides: Any) -> Site:
    cloud_id = overrides.pop("cloud_id", new_id())
    values: dict[str, Any] = {
        "name": f"site {cloud_id[:6]}",
        "url": f"https://{cloud_id[:8]}.example.net",
        "avatar_url": "https://example.net/a.png",
        "products": ("jira", "confluence"),
    }
    return Site(cloud_id=cloud_id, **(values | overrides))


def app(**overrides: Any) -> App:
    values: dict[str, Any] = {
        "client_id": new_id(),
        "name": "Incident board",
        "owner_id": "owner-1",
        "callback_urls": ("https://app.example/cb", "http://localhost:9000/cb"),
        "scopes": ("read:me", "read:jira-work"),
        "secret_digest": "ab" * 32,
        "created_at": T0,
    }
    return App(**(values | overrides))


def grant(**overrides: Any) -> Grant:
    values: dict[str, Any] = {
        "grant_id": new_id(),
        "client_id": "client-1",
        "account_id": "account-1",
        "scopes": ("read:me", "offline_access"),
        "sites": frozenset({"cloud-a", "cloud-b"}),
        "app_scopes_version": 1,
        "created_at": T0,
        "updated_at": T0,
    }
    return Grant(**(values | overrides))


def family(**overrides: Any) -> TokenFamily:
    values: dict[str, Any] = {
        "family_id": new_id(),
        "grant_id": "grant-1",
        "client_id": "client-1",
        "account_id": "account-1",
        "sites": frozenset({"cloud-a"}),
        "offline": True,
        "created_at": T0,
        "last_used_at": T0,
    }
    return TokenFamily(**(values | overrides))


def refresh_token(**overrides: Any) -> RefreshToken:
    values: dict[str, Any] = {
        "digest": new_id() * 2,
        "family_id": "family-1",
        "generation": 0,
        "issued_at": T0,
    }
    return RefreshToken(**(values | overrides))


def code(**overrides: Any) -> AuthorizationCode:
    values: dict[str, Any] = {
        "digest": new_id() * 2,
        "client_id": "client-1",
        "account_id": "account-1",
        "grant_id": "grant-1",
        "redirect_uri": "https://app.example/cb",
        "scopes": ("read:me", "read:jira-work"),
        "sites": frozenset({"cloud-a"}),
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "issued_at": T0,
        "expires_at": at(600),
    }
    return AuthorizationCode(**(values | overrides))


def pending(**overrides: Any) -> PendingAuthorization:
    values: dict[str, Any] = {
        "request_id": new_id(),
        "session_digest": "ef" * 32,
        "client_id": "client-1",
        "redirect_uri": "https://app.example/cb",
        "scopes": ("read:me",),
        "state": "xyz",
        "code_challenge": None,
        "prompt": "consent",
        "created_at": T0,
        "expires_at": at(900),
    }
    return PendingAuthorization(**(values | overrides))


def session(**overrides: Any) -> Session:
    values: dict[str, Any] = {
        "digest": new_id() * 2,
        "csrf_secret": new_id(),
        "created_at": T0,
        "expires_at": at(3600),
    }
    return Session(**(values | overrides))


def signing_key(**overrides: Any) -> SigningKey:
    kid = overrides.pop("kid", new_id()[:16])
    values: dict[str, Any] = {
        "algorithm": "ES256",
        "private_pem": "-----BEGIN PRIVATE KEY-----\nMIG...\n-----END PRIVATE KEY-----\n",
        "public_jwk": {"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": kid},
        "created_at": T0,
    }
    return SigningKey(kid=kid, **(values | overrides))


def audit_event(**overrides: Any) -> AuditEvent:
    values: dict[str, Any] = {"kind": "grant.created", "at": T0, "detail": {"why": "consent"}}
    return AuditEvent(**(values | overrides))
