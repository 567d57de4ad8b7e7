"""The one grant of an app for an account (CONTRACT §4.4), and the codes issued under it."""

from __future__ import annotations

from threelo.core.authorize.request import AuthorizationRequest
from threelo.core.models import Account, AuditEvent, AuthorizationCode, Grant
from threelo.core.platform import Platform
from threelo.core.ports import Conflict, Tx
from threelo.core.secret_values import digest, new_id, new_secret


def record_consent(
    tx: Tx,
    platform: Platform,
    request: AuthorizationRequest,
    account: Account,
    sites: frozenset[str],
) -> Grant:
    """Create the grant, or add ``sites`` to it and replace its scopes with the new consent's."""
    app = request.app
    existing = tx.grants.find(app.client_id, account.account_id)
    if existing is None:
        now = platform.clock.now()
        grant = Grant(
            grant_id=new_id(),
            client_id=app.client_id,
            account_id=account.account_id,
            scopes=request.scopes,
            sites=sites,
            app_scopes_version=app.scopes_version,
            created_at=now,
            updated_at=now,
        )
        try:
            tx.grants.add(grant)
        except Conflict:
            # A concurrent consent created it first: extend that one instead (GR-04).
            existing = tx.grants.find(app.client_id, account.account_id)
            if existing is None:
                raise
        else:
            _audit(tx, platform, "grant.created", grant)
            return grant
    return _extend(tx, platform, existing, request, sites)


def _extend(
    tx: Tx, platform: Platform, old: Grant, request: AuthorizationRequest, sites: frozenset[str]
) -> Grant:
    grant = Grant(
        grant_id=old.grant_id,
        client_id=old.client_id,
        account_id=old.account_id,
        scopes=request.scopes,
        sites=old.sites | sites,
        app_scopes_version=request.app.scopes_version,
        created_at=old.created_at,
        updated_at=platform.clock.now(),
        last_used_at=old.last_used_at,
    )
    tx.grants.update(grant)
    _audit(tx, platform, "grant.extended", grant)
    return grant


def issue_code(
    tx: Tx,
    platform: Platform,
    request: AuthorizationRequest,
    grant: Grant,
    sites: frozenset[str],
) -> str:
    """A single-use code bound to client, redirect URI, PKCE challenge and sites; only its
    digest is stored (RFC 6819 §5.1.4.1.3)."""
    value = new_secret()
    now = platform.clock.now()
    tx.codes.add(
        AuthorizationCode(
            digest=digest(value),
            client_id=request.client_id,
            account_id=grant.account_id,
            grant_id=grant.grant_id,
            redirect_uri=request.redirect_uri,
            scopes=request.scopes,
            sites=sites,
            code_challenge=request.code_challenge,
            issued_at=now,
            expires_at=now + platform.policy.code_ttl,
        )
    )
    return value


def _audit(tx: Tx, platform: Platform, kind: str, grant: Grant) -> None:
    tx.audit.add(
        AuditEvent(
            kind=kind,
            at=platform.clock.now(),
            account_id=grant.account_id,
            client_id=grant.client_id,
            detail={"sites": " ".join(sorted(grant.sites)), "scopes": " ".join(grant.scopes)},
        )
    )
