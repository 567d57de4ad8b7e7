"""Domain values. Frozen dataclasses, no behaviour beyond derived facts.

Times are aware UTC ``datetime`` values supplied by a :class:`~threelo.core.clock.Clock`.
Secrets (client secrets, codes, refresh tokens, session ids) never appear here in clear:
only their digests (RFC 6819 §5.1.4.1.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AccountStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class Distribution(StrEnum):
    PRIVATE = "private"
    SHARING = "sharing"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    email: str
    name: str
    password_hash: str
    nickname: str = ""
    picture: str = ""
    zoneinfo: str = "UTC"
    locale: str = "en-US"
    status: AccountStatus = AccountStatus.ACTIVE
    job_title: str = ""
    organization: str = ""
    department: str = ""
    location: str = ""
    created_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is AccountStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Site:
    cloud_id: str
    name: str
    url: str
    avatar_url: str
    products: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Membership:
    cloud_id: str
    account_id: str
    product: str


@dataclass(frozen=True, slots=True)
class App:
    client_id: str
    name: str
    owner_id: str
    callback_urls: tuple[str, ...]
    scopes: tuple[str, ...]
    secret_digest: str | None = None  # None for public clients
    public: bool = False
    resource_level: bool = False
    distribution: Distribution = Distribution.PRIVATE
    scopes_version: int = 1  # bumped when `scopes` change: users must consent again
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Grant:
    """The one grant of an app for an account (CONTRACT §4.4)."""

    grant_id: str
    client_id: str
    account_id: str
    scopes: tuple[str, ...]
    sites: frozenset[str]
    app_scopes_version: int
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenFamily:
    """One consent flow's line of tokens (CONTRACT §4.4, §4.6).

    ``generation`` is the generation of the newest refresh token; ``rotated_at`` the time
    that generation was issued. ``sites`` are the sites picked in the consent the family
    came from (they bound resource-level apps).
    """

    family_id: str
    grant_id: str
    client_id: str
    account_id: str
    sites: frozenset[str]
    offline: bool
    created_at: datetime
    last_used_at: datetime
    generation: int = 0
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_reason: str = ""


@dataclass(frozen=True, slots=True)
class RefreshToken:
    digest: str
    family_id: str
    generation: int
    issued_at: datetime
    spent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    digest: str
    client_id: str
    account_id: str
    grant_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    sites: frozenset[str]
    code_challenge: str | None
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None = None
    family_id: str | None = None  # the family the redemption produced


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    """An authorization request waiting for the user's decision, bound to a session."""

    request_id: str
    session_digest: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    prompt: str | None
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    digest: str
    csrf_secret: str
    created_at: datetime
    expires_at: datetime
    account_id: str | None = None
    authenticated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    algorithm: str
    private_pem: str
    public_jwk: dict[str, str]
    created_at: datetime
    retired_at: datetime | None = None  # no longer signs; still published until expiry


@dataclass(frozen=True, slots=True)
class AuditEvent:
    kind: str
    at: datetime
    account_id: str | None = None
    client_id: str | None = None
    cloud_id: str | None = None
    detail: dict[str, str] = field(default_factory=dict)
    event_id: int | None = None
