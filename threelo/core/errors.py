"""OAuth errors as data, keyed by their RFC code.

Each error carries a public description (sent to clients), a private detail (for logs and the
audit trail, never sent) and whether the user-agent may be redirected back to the client with it.
Errors raised before the client and its redirect URI are verified are *fatal*: the user must not
be redirected (RFC 6749 §4.1.2.1; RFC 9700 §4.11.2).
"""

from __future__ import annotations

from typing import ClassVar


class OAuthError(Exception):
    code: ClassVar[str] = "server_error"
    status: ClassVar[int] = 400
    redirectable: ClassVar[bool] = True

    def __init__(self, description: str = "", *, detail: str = "") -> None:
        super().__init__(description or self.code)
        self.description = description
        self.detail = detail

    def as_dict(self) -> dict[str, str]:
        body = {"error": self.code}
        if self.description:
            body["error_description"] = self.description
        return body


class InvalidRequest(OAuthError):
    code = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: 401, with ``WWW-Authenticate`` when HTTP Basic was used."""

    code = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    """Atlassian answers ``invalid_grant`` with 403 (atlassian-3lo.md §10), not RFC 6749's 400."""

    code = "invalid_grant"
    status = 403


class UnauthorizedClient(OAuthError):
    code = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    code = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    code = "unsupported_response_type"


class InvalidScope(OAuthError):
    code = "invalid_scope"


class AccessDenied(OAuthError):
    code = "access_denied"
    status = 403


class ConsentRequired(OAuthError):
    code = "consent_required"


class LoginRequired(OAuthError):
    code = "login_required"


class TemporarilyUnavailable(OAuthError):
    code = "temporarily_unavailable"
    status = 503


class SlowDown(OAuthError):
    code = "slow_down"
    status = 429


class FatalAuthorizationError(OAuthError):
    """Unknown client or unverified redirect URI: show an error page, never redirect."""

    code = "invalid_request"
    redirectable = False


class UnknownClient(FatalAuthorizationError):
    code = "invalid_client"


class BadRedirectUri(FatalAuthorizationError):
    code = "invalid_request"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: bearer token missing, malformed, expired or revoked."""

    code = "invalid_token"
    status = 401


class InsufficientScope(OAuthError):
    code = "insufficient_scope"
    status = 403


INVALID_CODE = "Invalid authorization code"
INVALID_REFRESH_TOKEN = "Unknown or invalid refresh token."
USER_DENIED = "User did not authorize the request"
