"""Token revocation (RFC 7009), beyond Atlassian.

Revoking a refresh token revokes its family (RFC 7009 §2.1: the server may revoke the
related tokens); an access token can only be killed by killing its family too. The answer is
the same whether the token was known or not, and a token of another client is left alone.
"""

from __future__ import annotations

from typing import Any

import jwt

from threelo.core.client_auth import ClientCredentials, authenticate_client
from threelo.core.keys import ALGORITHMS
from threelo.core.models import AuditEvent
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.secret_values import digest

MAX_TOKEN_LENGTH = 8192


def signed_claims(platform: Platform, token: str) -> dict[str, Any] | None:
    """The claims of a token signed by one of our keys, or None. Liveness is not checked."""
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        return None
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        key = platform.keys.verification_key(kid) if isinstance(kid, str) else None
        if key is None or header.get("typ") != "at+jwt":
            return None
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=platform.policy.audience,
            issuer=platform.policy.issuer,
            leeway=platform.policy.clock_skew,
            options={"require": ["exp", "iat", "sub", "fid", "client_id"]},
        )
    except jwt.PyJWTError:
        return None
    return claims


def _family_of(platform: Platform, tx: Tx, token: str) -> str | None:
    refresh = tx.refresh_tokens.get(digest(token))
    if refresh is not None:
        return refresh.family_id
    claims = signed_claims(platform, token)
    fid = claims.get("fid") if claims else None
    return fid if isinstance(fid, str) else None


def revoke_token(platform: Platform, creds: ClientCredentials, token: str) -> None:
    now = platform.clock.now()
    with platform.store.transaction() as tx:
        app = authenticate_client(tx, creds)
        family_id = _family_of(platform, tx, token)
        family = tx.families.get(family_id, for_update=True) if family_id else None
        if family is None or family.client_id != app.client_id or family.revoked_at:
            return
        tx.families.revoke(family.family_id, now, "revoked by the client")
        tx.audit.add(
            AuditEvent(
                kind="family.revoked",
                at=now,
                account_id=family.account_id,
                client_id=app.client_id,
                detail={"family_id": family.family_id, "reason": "revoked by the client"},
            )
        )
