"""Token introspection (RFC 7662), for authenticated clients and only their own tokens.

A token of another client, or one that is unknown, spent, expired or revoked, is simply
``{"active": false}`` (RFC 7662 §2.2): the answer never tells which.
"""

from __future__ import annotations

from typing import Any

from threelo.core.access import verify_access_token
from threelo.core.client_auth import ClientCredentials, authenticate_client
from threelo.core.errors import InvalidToken
from threelo.core.models import App, RefreshToken, TokenFamily
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.scopes import format_scope
from threelo.core.secret_values import digest


def inactive() -> dict[str, Any]:
    return {"active": False}


def _refresh_alive(platform: Platform, family: TokenFamily, token: RefreshToken) -> bool:
    now = platform.clock.now()
    policy = platform.policy
    if family.revoked_at is not None:
        return False
    if now - family.last_used_at > policy.refresh_idle_ttl:
        return False
    if now - family.created_at > policy.refresh_absolute_ttl:
        return False
    return token.spent_at is None and token.generation == family.generation


def _introspect_refresh(
    platform: Platform, tx: Tx, app: App, token: RefreshToken
) -> dict[str, Any]:
    family = tx.families.get(token.family_id)
    grant = tx.grants.get(family.grant_id) if family else None
    account = tx.accounts.get(family.account_id) if family else None
    if family is None or grant is None or family.client_id != app.client_id:
        return inactive()
    if account is None or not account.active or not _refresh_alive(platform, family, token):
        return inactive()
    idle_end = family.last_used_at + platform.policy.refresh_idle_ttl
    hard_end = family.created_at + platform.policy.refresh_absolute_ttl
    return {
        "active": True,
        "token_type": "refresh_token",
        "client_id": app.client_id,
        "sub": family.account_id,
        "scope": format_scope(grant.scopes),
        "iat": int(token.issued_at.timestamp()),
        "exp": int(min(idle_end, hard_end).timestamp()),
        "iss": platform.policy.issuer,
    }


def _introspect_access(platform: Platform, app: App, token: str) -> dict[str, Any]:
    try:
        ctx = verify_access_token(platform, token)
    except InvalidToken:
        return inactive()
    if ctx.app.client_id != app.client_id:
        return inactive()
    claims = ctx.claims
    return {
        "active": True,
        "token_type": "access_token",
        "client_id": app.client_id,
        "sub": claims["sub"],
        "scope": format_scope(ctx.scopes),
        "iat": claims["iat"],
        "exp": claims["exp"],
        "iss": claims["iss"],
        "aud": claims["aud"],
        "jti": claims["jti"],
    }


def introspect(platform: Platform, creds: ClientCredentials, token: str) -> dict[str, Any]:
    with platform.store.reader() as tx:
        app = authenticate_client(tx, creds)
        refresh = tx.refresh_tokens.get(digest(token))
        if refresh is not None:
            return _introspect_refresh(platform, tx, app, refresh)
    return _introspect_access(platform, app, token)
