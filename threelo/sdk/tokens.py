"""Token sets and the token endpoint's wire format (RFC 6749 §4.1.3, §5.1, §5.2, §6)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

import httpx

from .config import ClientConfig
from .errors import InvalidTokenResponse, TokenEndpointError

__all__ = [
    "TokenRequest",
    "TokenSet",
    "authorization_code_request",
    "parse_token_response",
    "refresh_token_request",
]


@dataclass(frozen=True)
class TokenSet:
    """Tokens of one connection. ``repr`` never shows the tokens."""

    access_token: str = field(repr=False)
    expires_at: float
    token_type: str = "Bearer"
    refresh_token: str | None = field(default=None, repr=False)
    scope: str = ""

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.scope.split())

    def is_expired(self, now: float, leeway: float = 0.0) -> bool:
        return now >= self.expires_at - leeway

    def with_rotation(self, newer: TokenSet) -> TokenSet:
        """``newer``, keeping this refresh token if the response had none (seen on Atlassian)."""
        if newer.refresh_token is None and self.refresh_token is not None:
            return replace(newer, refresh_token=self.refresh_token)
        return newer


@dataclass(frozen=True)
class TokenRequest:
    """A POST to the token endpoint, ready for a sync or async ``httpx`` client."""

    url: str
    body: dict[str, str] = field(repr=False)
    as_json: bool

    def send_kwargs(self) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self.as_json:
            return {"json": self.body, "headers": headers}
        return {"data": self.body, "headers": headers}


def _with_client_credentials(config: ClientConfig, body: dict[str, str]) -> TokenRequest:
    body["client_id"] = config.client_id
    if config.client_secret is not None:
        body["client_secret"] = config.client_secret
    return TokenRequest(config.token_url, body, config.token_request_format == "json")


def authorization_code_request(
    config: ClientConfig, code: str, code_verifier: str | None, redirect_uri: str
) -> TokenRequest:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier is not None:
        body["code_verifier"] = code_verifier
    return _with_client_credentials(config, body)


def refresh_token_request(config: ClientConfig, refresh_token: str) -> TokenRequest:
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _with_client_credentials(config, body)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type.lower():
        return None
    try:
        payload = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _optional_str(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return value if isinstance(value, str) else None


def _raise_error_response(response: httpx.Response, payload: dict[str, Any] | None) -> NoReturn:
    error = _optional_str(payload, "error") if payload is not None else None
    if error is None:
        raise InvalidTokenResponse(response.status_code, "unrecognised_response")
    raise TokenEndpointError(
        response.status_code, error, _optional_str(payload or {}, "error_description")
    )


def _expires_in(payload: dict[str, Any], default: int) -> int:
    value = payload.get("expires_in")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def parse_token_response(response: httpx.Response, now: float, default_expires_in: int) -> TokenSet:
    """A :class:`TokenSet` from a token endpoint response, or a typed error.

    ``token_type`` is compared case-insensitively (RFC 6749 §5.1); a missing ``expires_in``
    falls back to ``default_expires_in``; an HTML page, even with status 200, is an
    :class:`InvalidTokenResponse`. The exception never carries the response body.
    """
    payload = _json_object(response)
    if response.status_code != 200 or payload is None or "error" in payload:
        _raise_error_response(response, payload)
    access_token = _optional_str(payload, "access_token")
    if not access_token:
        raise InvalidTokenResponse(response.status_code, "missing_access_token")
    token_type = _optional_str(payload, "token_type") or "Bearer"
    if token_type.lower() != "bearer":
        raise InvalidTokenResponse(response.status_code, "unsupported_token_type")
    scope = payload.get("scope")
    return TokenSet(
        access_token=access_token,
        token_type="Bearer",
        expires_at=now + _expires_in(payload, default_expires_in),
        refresh_token=_optional_str(payload, "refresh_token") or None,
        scope=scope if isinstance(scope, str) else "",
    )
