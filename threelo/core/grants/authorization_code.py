"""``grant_type=authorization_code`` (RFC 6749 §4.1.3, RFC 7636 §4.6)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from threelo.core.errors import INVALID_CODE, InvalidGrant, InvalidRequest
from threelo.core.grants.base import Issuance, Refusal
from threelo.core.grants.issue import granted_scopes, mark_used, new_refresh_token
from threelo.core.models import Account, App, AuditEvent, AuthorizationCode, Grant, TokenFamily
from threelo.core.pkce import verify
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.scopes import OFFLINE_ACCESS
from threelo.core.secret_values import digest, new_id


def _refused(detail: str, revoked_family: str | None = None) -> Refusal:
    return Refusal(InvalidGrant(INVALID_CODE, detail=detail), revoked_family)


class AuthorizationCodeGrant:
    def handle(
        self, platform: Platform, tx: Tx, client: Callable[[], App], params: Mapping[str, str]
    ) -> Issuance | Refusal:
        # The code is read by the update that burns it, inside the write unit.
        value = params.get("code")
        redirect_uri = params.get("redirect_uri")
        if not value or not redirect_uri:
            client()  # RFC 6749 §3.2.1: an unauthenticated client hears only that
            return Refusal(InvalidRequest("Missing code" if not value else "Missing redirect_uri"))
        now = platform.clock.now()
        key = digest(value)
        # Burn first, with a conditional update: of any number of concurrent redemptions
        # exactly one wins (security-catalogue AC-02). Every later failure leaves it burnt,
        # so a stolen code cannot be tried against guessed verifiers (RFC 9700 §4.5.3.1).
        # The code's grant comes with it, read after the update in the same statement or unit.
        redeemed = tx.codes.redeem_with_grant(key, now)
        # The client's app was read in the same round trip. Authenticated only now, but before
        # anything read is acted on; a failure raises and rolls the burn back.
        app = client()
        if redeemed is None:
            return _replayed(tx, key, now)
        code, found = redeemed
        problem = _check(code, app, redirect_uri, params.get("code_verifier"), now)
        if problem:
            return _refused(problem)
        return _start_family(platform, tx, app, code, found, now)


def _check(
    code: AuthorizationCode, app: App, redirect_uri: str, verifier: str | None, now: datetime
) -> str:
    if code.client_id != app.client_id:
        return "code issued to another client"  # RFC 6749 §4.1.3
    if now >= code.expires_at:
        return "code expired"  # RFC 6749 §4.1.2: short-lived
    if redirect_uri != code.redirect_uri:
        return "redirect_uri differs from the authorization request"  # RFC 6749 §4.1.3
    if code.code_challenge is None:
        if app.public:
            return "public client code without PKCE"  # RFC 9700 §2.1.1, defence in depth
        # A verifier without a challenge is a downgrade attempt (RFC 9700 §4.8.2).
        return "code_verifier sent but no challenge" if verifier else ""
    if not verifier:
        return "code_verifier missing"  # RFC 7636 §4.6
    if not verify(verifier, code.code_challenge):
        return "code_verifier does not match"
    return ""


def _replayed(tx: Tx, key: str, now: datetime) -> Refusal:
    """RFC 6749 §4.1.2: a second use is refused and the tokens the code produced revoked."""
    code = tx.codes.get(key)
    if code is None:
        return _refused("unknown code")
    if code.family_id is not None:
        tx.families.revoke(code.family_id, now, "authorization code replayed")
    tx.audit.add(
        AuditEvent(
            kind="code.replayed",
            at=now,
            account_id=code.account_id,
            client_id=code.client_id,
            detail={"family_id": code.family_id or ""},
        )
    )
    return _refused("code replayed", code.family_id)


def _start_family(
    platform: Platform,
    tx: Tx,
    app: App,
    code: AuthorizationCode,
    found: tuple[Grant, Account | None] | None,
    now: datetime,
) -> Issuance | Refusal:
    if found is None:
        return _refused("grant revoked since the code was issued")
    grant, account = found  # the grant's account, which must be the code's
    if grant.account_id != code.account_id or grant.client_id != app.client_id:
        return _refused("grant revoked since the code was issued")
    if account is None or not account.active:
        return _refused("account inactive")
    scopes = tuple(s for s in granted_scopes(grant, app) if s in code.scopes)
    offline = OFFLINE_ACCESS in scopes
    family = TokenFamily(
        family_id=new_id(),
        grant_id=grant.grant_id,
        client_id=app.client_id,
        account_id=grant.account_id,
        sites=code.sites,
        offline=offline,
        created_at=now,
        last_used_at=now,
        generation=1 if offline else 0,
        rotated_at=now,
    )
    tx.families.add(family)
    tx.codes.set_family(code.digest, family.family_id)
    mark_used(tx, grant, now)
    refresh = new_refresh_token(tx, family, 1, now) if offline else None
    return Issuance(grant=grant, family=family, scopes=scopes, refresh_token=refresh)
