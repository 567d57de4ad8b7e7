"""The authorization request as plain values: query pairs in, a checked request or a rejection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from threelo.core.errors import OAuthError
from threelo.core.models import App

# The parameters this endpoint understands; any other name is ignored (RFC 6749 §3.1).
KNOWN_PARAMETERS = frozenset(
    {
        "audience",
        "client_id",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "redirect_uri",
        "request",
        "request_uri",
        "response_type",
        "scope",
        "state",
    }
)


@dataclass(frozen=True, slots=True)
class Params:
    """Known parameters by name, each with every value it was sent with."""

    values: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Params:
        collected: dict[str, list[str]] = {}
        for name, value in pairs:
            if name in KNOWN_PARAMETERS:
                collected.setdefault(name, []).append(value)
        return cls({name: tuple(vals) for name, vals in collected.items()})

    def repeated(self, name: str) -> bool:
        return len(self.values.get(name, ())) > 1

    def get(self, name: str) -> str | None:
        """The single value of ``name``; an empty value counts as absent (RFC 6749 §3.1)."""
        vals = self.values.get(name, ())
        if len(vals) != 1 or vals[0] == "":
            return None
        return vals[0]


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A request that passed every check; the app is the one it names."""

    app: App
    redirect_uri: str  # exactly as sent; it matched a registered callback URL
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None  # S256 only (RFC 9700 §2.1.1)
    prompt: frozenset[str]

    @property
    def client_id(self) -> str:
        return self.app.client_id

    @property
    def forces_consent(self) -> bool:
        # prompt=login is answered like prompt=consent: the user confirms on the consent page.
        return bool(self.prompt & {"consent", "login"})

    @property
    def silent(self) -> bool:
        return "none" in self.prompt


@dataclass(frozen=True, slots=True)
class Rejection:
    """A request that failed a check.

    ``redirect_uri`` is set only once the client and its redirect URI were verified; without it
    the user sees an error page and is never redirected (RFC 6749 §4.1.2.1).
    """

    error: OAuthError
    redirect_uri: str | None = None
    state: str | None = None

    @property
    def fatal(self) -> bool:
        return self.redirect_uri is None or not self.error.redirectable
