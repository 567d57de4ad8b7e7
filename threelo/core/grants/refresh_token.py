"""``grant_type=refresh_token`` with rotation (RFC 6749 §6, RFC 9700 §4.14.2, CONTRACT §4.6).

Every use spends the token and issues the next generation. The just-spent generation may be
presented again within the reuse leeway (a lost response, concurrent requests): it gets a
sibling of the current generation and the family lives on. Anything older, or the just-spent
one after the leeway, is a replay of a stolen token: the whole family is revoked at once
(RFC 6819 §5.2.2.3). All of it runs under the family's row lock, so concurrent requests
decide one after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from threelo.core.errors import INVALID_REFRESH_TOKEN, InvalidGrant, InvalidRequest
from threelo.core.grants.base import Issuance, Refusal
from threelo.core.grants.issue import granted_scopes, mark_used, new_refresh_token
from threelo.core.models import App, AuditEvent, RefreshToken, TokenFamily
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.secret_values import digest


def _refused(detail: str) -> Refusal:
    return Refusal(InvalidGrant(INVALID_REFRESH_TOKEN, detail=detail))


class RefreshTokenGrant:
    def handle(
        self, platform: Platform, tx: Tx, client: Callable[[], App], params: Mapping[str, str]
    ) -> Issuance | Refusal:
        value = params.get("refresh_token")
        if not value:
            client()  # RFC 6749 §3.2.1: an unauthenticated client hears only that
            return Refusal(InvalidRequest("Missing refresh_token"))
        # Extra fields such as scope or audience are ignored (CONTRACT §4.5): the result
        # is always the grant's scopes, never more (RFC 6749 §6).
        now = platform.clock.now()
        key = digest(value)
        locked = tx.families.of_token_later(key, for_update=True)
        # Read the token only once its family is locked: a read from before the lock may
        # predate a concurrent rotation that committed while this request waited for it, and
        # a stale "unspent" would look like a replay and revoke a healthy family. (A later
        # read runs before the next statement: this read waits for the lock on the server,
        # and both answers come in one round trip.) Its grant comes in the same read, used
        # only if every check below passes.
        found = tx.refresh_tokens.get_with_grant(key)
        app = client()  # before anything read is acted on (RFC 6749 §3.2.1)
        family = locked()
        if found is None:
            return _refused("unknown refresh token")
        token, grant_found = found
        if family is None or family.revoked_at is not None:
            return _refused("family revoked")
        if family.client_id != app.client_id:
            # RFC 6819 §5.2.2.2: a token presented by another client is treated as stolen.
            return _revoke(tx, family, now, "refresh token presented by another client")
        expired = _expiry(platform, family, now)
        if expired:
            return _revoke(tx, family, now, expired)
        grant, account = grant_found or (None, None)
        if grant is None or (grant.grant_id, grant.account_id) != (
            family.grant_id,
            family.account_id,
        ):
            return _revoke(tx, family, now, "grant or account gone")
        if account is None or not account.active:
            return _revoke(tx, family, now, "grant or account gone")
        rotated = _rotate(platform, tx, family, token, now)
        if rotated is None:
            return _revoke(tx, family, now, "refresh token reused outside the leeway")
        family, refresh = rotated
        mark_used(tx, grant, now)
        return Issuance(
            grant=grant, family=family, scopes=granted_scopes(grant, app), refresh_token=refresh
        )


def _expiry(platform: Platform, family: TokenFamily, now: datetime) -> str:
    policy = platform.policy
    if now - family.last_used_at > policy.refresh_idle_ttl:
        return "family idle too long"
    if now - family.created_at > policy.refresh_absolute_ttl:
        return "family past its absolute lifetime"
    return ""


def _rotate(
    platform: Platform, tx: Tx, family: TokenFamily, token: RefreshToken, now: datetime
) -> tuple[TokenFamily, str] | None:
    current = family.generation
    if token.spent_at is None and token.generation == current:
        if not tx.refresh_tokens.spend(token.digest, now):
            return None
        # Siblings minted inside the leeway die once one of them moves the family on.
        tx.refresh_tokens.spend_generation(family.family_id, current, now)
        family = replace(family, generation=current + 1, rotated_at=now, last_used_at=now)
        tx.families.update(family)
        return family, new_refresh_token(tx, family, current + 1, now)
    leeway = platform.policy.refresh_reuse_leeway
    if (
        token.spent_at is not None
        and token.generation == current - 1
        and now <= token.spent_at + leeway
    ):
        # Lost-response safety (CONTRACT §4.6): a sibling of the current generation.
        family = replace(family, last_used_at=now)
        tx.families.update(family)
        return family, new_refresh_token(tx, family, current, now)
    return None


def _revoke(tx: Tx, family: TokenFamily, now: datetime, reason: str) -> Refusal:
    tx.families.revoke(family.family_id, now, reason)
    tx.audit.add(
        AuditEvent(
            kind="family.revoked",
            at=now,
            account_id=family.account_id,
            client_id=family.client_id,
            detail={"family_id": family.family_id, "reason": reason},
        )
    )
    return Refusal(InvalidGrant(INVALID_REFRESH_TOKEN, detail=reason), family.family_id)
