"""Access tokens: RFC 9068-style JWTs signed with the current ES256 key.

Claims: ``iss``, ``sub`` (account id), ``aud``, ``client_id``, ``scope``, ``iat``, ``exp``,
``jti`` (RFC 9068 §2.2) plus three private ones that tie the token to live state, so the
API face can refuse it once that state dies (CONTRACT §4.8): ``gid`` (grant), ``fid`` (token
family) and ``gen`` (the family generation it was issued beside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threelo.core.models import Grant, TokenFamily
from threelo.core.platform import Platform
from threelo.core.scopes import format_scope
from threelo.core.secret_values import new_id


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    expires_in: int
    jti: str
    scope: str


def access_token_claims(
    platform: Platform, *, grant: Grant, family: TokenFamily, scopes: tuple[str, ...]
) -> dict[str, Any]:
    now = int(platform.clock.now().timestamp())
    lifetime = int(platform.policy.access_token_ttl.total_seconds())
    return {
        "iss": platform.policy.issuer,
        "sub": grant.account_id,
        "aud": platform.policy.audience,
        "client_id": grant.client_id,
        "scope": format_scope(scopes),
        "iat": now,
        "exp": now + lifetime,
        "jti": new_id(),
        "gid": grant.grant_id,
        "fid": family.family_id,
        "gen": family.generation,
    }


def issue_access_token(
    platform: Platform, *, grant: Grant, family: TokenFamily, scopes: tuple[str, ...]
) -> IssuedAccessToken:
    claims = access_token_claims(platform, grant=grant, family=family, scopes=scopes)
    return IssuedAccessToken(
        token=platform.keys.sign(claims),
        expires_in=claims["exp"] - claims["iat"],
        jti=claims["jti"],
        scope=claims["scope"],
    )
