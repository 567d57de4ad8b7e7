"""What a grant handler is and what it hands back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from threelo.core.errors import OAuthError
from threelo.core.models import App, Grant, TokenFamily
from threelo.core.platform import Platform
from threelo.core.ports import Tx


@dataclass(frozen=True, slots=True)
class Issuance:
    """Decided inside the transaction; signed after it commits."""

    grant: Grant
    family: TokenFamily
    scopes: tuple[str, ...]
    refresh_token: str | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused request. What it revoked is committed all the same (a replayed code's
    family, a reused refresh token's family), and the API face is told once it is."""

    error: OAuthError
    revoked_family: str | None = None


@dataclass(frozen=True, slots=True)
class TokenResponse:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    token_type: str = "Bearer"

    def as_dict(self) -> dict[str, str | int]:
        body: dict[str, str | int] = {
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "token_type": self.token_type,
            "scope": self.scope,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


class GrantHandler(Protocol):
    def handle(
        self, platform: Platform, tx: Tx, client: Callable[[], App], params: Mapping[str, str]
    ) -> Issuance | Refusal:
        """Decide one token request. ``client()`` authenticates the client (raising
        ``InvalidClient``); a handler calls it before it acts on anything it read, and before
        any refusal of its own, so that an unauthenticated request learns nothing else."""
        ...
