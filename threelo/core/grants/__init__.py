"""Grant-type handlers for the token endpoint, found through a registry (RFC 6749 §4, §6).

A handler answers *can I handle this grant type?* by its key in :data:`HANDLERS`, validates
the request inside one unit of work, and returns what to issue. Adding a grant type never
edits the token endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from threelo.core.access import invalidate_family
from threelo.core.client_auth import (
    ClientCredentials,
    authenticate_client,
    authenticate_client_later,
)
from threelo.core.errors import InvalidRequest, UnsupportedGrantType
from threelo.core.grants.authorization_code import AuthorizationCodeGrant
from threelo.core.grants.base import GrantHandler, Issuance, Refusal, TokenResponse
from threelo.core.grants.issue import issue_tokens
from threelo.core.grants.refresh_token import RefreshTokenGrant
from threelo.core.models import App
from threelo.core.platform import Platform

HANDLERS: dict[str, GrantHandler] = {
    "authorization_code": AuthorizationCodeGrant(),
    "refresh_token": RefreshTokenGrant(),
}


def exchange(
    platform: Platform, creds: ClientCredentials, params: Mapping[str, str]
) -> TokenResponse:
    """Run one token request: authenticate the client, then the grant type's handler."""
    grant_type = params.get("grant_type")
    if not grant_type:
        raise InvalidRequest("Missing grant_type")
    handler = HANDLERS.get(grant_type)
    if handler is None:
        raise UnsupportedGrantType("Unsupported grant type")
    outcome: Issuance | Refusal
    store = platform.store
    app = None
    if store.one_writer:
        # Client authentication only reads: keep it out of the section all writers queue for.
        with store.reader() as tx:
            app = authenticate_client(tx, creds)
    with store.transaction() as tx:
        # The app's read goes with the handler's first statement, in one round trip; a client
        # that fails to authenticate raises inside the unit, which rolls back what it did.
        client = authenticate_client_later(tx, creds) if app is None else _known(app)
        # A refusal is a value, not an exception, so that what it revoked commits.
        outcome = handler.handle(platform, tx, client, params)
        client()  # whatever the handler did, nothing commits for an unauthenticated client
    if isinstance(outcome, Refusal):
        if outcome.revoked_family is not None:
            # Seen at once on this process (CONTRACT §1), after the revocation committed.
            invalidate_family(outcome.revoked_family)
        raise outcome.error
    return issue_tokens(platform, outcome)


def _known(app: App) -> Callable[[], App]:
    return lambda: app


__all__ = ["HANDLERS", "GrantHandler", "Issuance", "Refusal", "TokenResponse", "exchange"]
