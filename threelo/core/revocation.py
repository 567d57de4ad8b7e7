"""Token revocation (RFC 7009), beyond Atlassian.

Revoking a refresh token revokes its family (RFC 7009 §2.1: the server may revoke the
related tokens); an access token can only be killed by killing its family too. The answer is
the same whether the token was known or not, and a token of another client is left alone.
"""

from __future__ import annotations

from typing import Any

import jwt

from threelo.core.access import invalidate_family
from threelo.core.client_auth import ClientCredentials, authenticate_client
from threelo.core.keys import ALGORITHMS
from threelo.core.models import AuditEvent
from threelo.core.platform import Platform
from threelo.core.secret_values import digest

MAX_TOKEN_LENGTH = 8192
REASON = "revoked by the client"


def signed_claims(platform: Platform, token: str) -> dict[str, Any] | None:
    """The claims of a token signed by one of our keys, or None. Liveness is not checked.

    Call it outside any unit of work: an unknown ``kid`` may reload the key set from the
    store, and a nested writer would wait on the outer one (SQLite's write lock)."""
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2 or not token.isascii():
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


def _access_token_family(platform: Platform, token: str) -> str | None:
    claims = signed_claims(platform, token)
    fid = claims.get("fid") if claims else None
    return fid if isinstance(fid, str) else None


def revoke_token(platform: Platform, creds: ClientCredentials, token: str) -> None:
    """RFC 7009 §2.1–2.2. Raises only ``InvalidClient``; every other outcome is silent."""
    now = platform.clock.now()
    # Both readings are cheap; neither tells the caller anything (RFC 7009 §2.2).
    access_family = _access_token_family(platform, token)
    with platform.store.transaction() as tx:
        app = authenticate_client(tx, creds)
        refresh = tx.refresh_tokens.get(digest(token))
        family_id = refresh.family_id if refresh is not None else access_family
        family = tx.families.get(family_id, for_update=True) if family_id else None
        # RFC 7009 §2.1: the token must belong to the client asking; others are untouched.
        if family is None or family.client_id != app.client_id or family.revoked_at:
            return
        tx.families.revoke(family.family_id, now, REASON)
        tx.audit.add(
            AuditEvent(
                kind="family.revoked",
                at=now,
                account_id=family.account_id,
                client_id=app.client_id,
                detail={"family_id": family.family_id, "reason": REASON},
            )
        )
    invalidate_family(family.family_id)
