"""What an app tells the SDK about itself and the platform it talks to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ATLASSIAN_API_URL", "ATLASSIAN_AUTH_URL", "ClientConfig", "Clock"]

ATLASSIAN_AUTH_URL = "https://auth.atlassian.com"
ATLASSIAN_API_URL = "https://api.atlassian.com"

Clock = Callable[[], float]
"""Seconds since the epoch; ``time.time`` unless a test injects another."""


@dataclass(frozen=True)
class ClientConfig:
    """An OAuth client registered on threelo (or on Atlassian, with the default URLs).

    ``client_secret`` is ``None`` for public clients. ``issuer`` is the value the authorization
    response's ``iss`` must equal (RFC 9207); it defaults to ``auth_base_url``.
    """

    client_id: str
    callback_url: str
    scopes: Sequence[str]
    client_secret: str | None = field(default=None, repr=False)
    auth_base_url: str = ATLASSIAN_AUTH_URL
    api_base_url: str = ATLASSIAN_API_URL
    issuer: str | None = None
    require_iss: bool = False
    audience: str = "api.atlassian.com"
    prompt: str | None = "consent"
    flow_lifetime: float = 600.0
    token_request_format: Literal["json", "form"] = "json"
    default_expires_in: int = 3600
    refresh_leeway: float = 60.0

    def __post_init__(self) -> None:
        if not self.client_id:
            raise ValueError("client_id is required")
        if not self.callback_url:
            raise ValueError("callback_url is required")
        if isinstance(self.scopes, str):
            raise TypeError("scopes must be a sequence of scope names, not one string")
        object.__setattr__(self, "scopes", tuple(self.scopes))
        object.__setattr__(self, "auth_base_url", self.auth_base_url.rstrip("/"))
        object.__setattr__(self, "api_base_url", self.api_base_url.rstrip("/"))
        if self.flow_lifetime <= 0:
            raise ValueError("flow_lifetime must be positive")

    @property
    def expected_issuer(self) -> str:
        return self.issuer if self.issuer is not None else self.auth_base_url

    @property
    def authorize_url(self) -> str:
        return f"{self.auth_base_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.auth_base_url}/oauth/token"

    @property
    def accessible_resources_url(self) -> str:
        return f"{self.api_base_url}/oauth/token/accessible-resources"

    @property
    def me_url(self) -> str:
        return f"{self.api_base_url}/me"
