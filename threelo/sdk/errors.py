"""The SDK's exceptions: one small hierarchy, so apps can catch as broadly as they need.

Every exception an app sees from the SDK derives from :class:`ThreeLOError`; HTTP transport
failures are translated into :class:`NetworkError` at the boundary. Messages never contain
tokens, codes, verifiers or client secrets.
"""

from __future__ import annotations

import re

__all__ = [
    "ApiError",
    "AuthorizationDenied",
    "AuthorizationError",
    "CallbackError",
    "InvalidTokenResponse",
    "IssuerMismatch",
    "MalformedCallback",
    "NetworkError",
    "ReconnectNeeded",
    "StateMismatch",
    "ThreeLOError",
    "TokenEndpointError",
    "UnsafeReturnTo",
]

# RFC 6749 §4.1.2.1: error codes use %x20-21 / %x23-5B / %x5D-7E. Anything else is not echoed.
_ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}")


def printable_error_code(value: str) -> str:
    """Return ``value`` if it is a well-formed OAuth error code, else ``"invalid_error_code"``."""
    return value if _ERROR_CODE.fullmatch(value) else "invalid_error_code"


class ThreeLOError(Exception):
    """Base class of every exception raised by ``threelo.sdk``."""


class CallbackError(ThreeLOError):
    """The authorization callback was refused; the token endpoint was not called."""


class StateMismatch(CallbackError):
    """``state`` is missing, unknown to this session, already used or expired (RFC 6749 §10.12)."""


class MalformedCallback(CallbackError):
    """The callback URL is not a well-formed authorization response (RFC 6749 §3.1, §4.1.2)."""


class IssuerMismatch(CallbackError):
    """``iss`` differs from the expected issuer, or is missing when required (RFC 9207 §2.4)."""


class AuthorizationError(CallbackError):
    """The authorization server answered with ``error=`` (RFC 6749 §4.1.2.1).

    ``description`` is attacker-influenced text: escape it before showing it in HTML.
    """

    def __init__(self, error: str, description: str | None, return_to: str | None) -> None:
        self.error = printable_error_code(error)
        self.description = description
        self.return_to = return_to
        super().__init__(f"authorization failed: {self.error}")


class AuthorizationDenied(AuthorizationError):
    """The user declined the consent (``error=access_denied``)."""


class TokenEndpointError(ThreeLOError):
    """The token endpoint refused the request or answered with something unusable."""

    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        self.status = status
        self.error = printable_error_code(error)
        self.description = description
        super().__init__(f"token endpoint answered {status} {self.error}")


class InvalidTokenResponse(TokenEndpointError):
    """A token endpoint response that is not a usable JSON token response (e.g. an HTML page)."""


class ReconnectNeeded(ThreeLOError):
    """No usable tokens remain for this key; the user must connect again (consent flow).

    Raised when there are no stored tokens, when tokens expired and there is no refresh token,
    and when the refresh token is rejected with ``invalid_grant`` (Atlassian answers 403).
    """


class ApiError(ThreeLOError):
    """An API-face call (accessible-resources, ``/me``) answered with a non-success status."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"API answered {status}: {message}")


class NetworkError(ThreeLOError):
    """The authorization server or API could not be reached (translated from ``httpx``)."""


class UnsafeReturnTo(ThreeLOError, ValueError):
    """A return-to target that is not a same-origin relative path (RFC 9700 §4.11)."""
