"""Turning a decided issuance into the token response (CONTRACT §4.5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from threelo.core.grants.base import Issuance, TokenResponse
from threelo.core.models import App, Grant, RefreshToken, TokenFamily
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.scopes import OFFLINE_ACCESS
from threelo.core.secret_values import digest, new_secret
from threelo.core.tokens.access import issue_access_token


def granted_scopes(grant: Grant, app: App) -> tuple[str, ...]:
    """The grant's scopes still registered on the app: a scope the developer removed is
    never minted again (security-catalogue GR-05)."""
    allowed = set(app.scopes) | {OFFLINE_ACCESS}
    return tuple(s for s in grant.scopes if s in allowed)


# "Last used" is shown to people by the minute: a busy app need not write it on every request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def mark_used(tx: Tx, grant: Grant, now: datetime) -> None:
    last = grant.last_used_at
    if last is None or now - last >= LAST_USED_GRANULARITY:
        tx.grants.touch(grant.grant_id, now)


def new_refresh_token(tx: Tx, family: TokenFamily, generation: int, now: datetime) -> str:
    value = new_secret()
    tx.refresh_tokens.add(
        RefreshToken(
            digest=digest(value), family_id=family.family_id, generation=generation, issued_at=now
        )
    )
    return value


def issue_tokens(platform: Platform, issuance: Issuance) -> TokenResponse:
    access = issue_access_token(
        platform, grant=issuance.grant, family=issuance.family, scopes=issuance.scopes
    )
    return TokenResponse(
        access_token=access.token,
        expires_in=access.expires_in,
        scope=access.scope,
        refresh_token=issuance.refresh_token,
    )
