"""Starting a flow and judging its callback: the rules, without any HTTP.

``begin`` creates a fresh ``state`` and PKCE verifier and keeps them server-side, bound to the
caller's session. ``accept`` lets a callback through only if every check below holds; otherwise
it raises a :class:`~threelo.sdk.errors.CallbackError` and the caller must not contact the token
endpoint. Both clients (sync and async) use this module.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from .config import ClientConfig, Clock
from .errors import (
    AuthorizationDenied,
    AuthorizationError,
    IssuerMismatch,
    MalformedCallback,
    StateMismatch,
)
from .flow_store import FlowStore, PendingFlow, flow_key
from .pkce import code_challenge, new_code_verifier
from .return_to import safe_return_to
from .sessions import Session, binding_of, ensure_binding
from .tokens import TokenSet

__all__ = ["AcceptedCallback", "Authorization", "AuthorizationFlows", "callback_parameters"]

_STATE_BYTES = 32  # 256 bits; RFC 6749 §10.10 asks for at most 2^-128 guessing odds
_MAX_STATE_LENGTH = 512
_RESPONSE_PARAMETERS = frozenset(
    {"state", "code", "error", "error_description", "error_uri", "iss"}
)


@dataclass(frozen=True)
class AcceptedCallback:
    """A callback that passed every check; its code may now be exchanged."""

    code: str = field(repr=False)
    flow: PendingFlow


def callback_parameters(callback_url: str) -> dict[str, str]:
    """The authorization response parameters of ``callback_url``'s query.

    A repeated parameter is refused (RFC 6749 §3.1: parameters must not be included more than
    once), and so is any response parameter in the fragment: a code-flow client reads the query.
    """
    parts = urlsplit(callback_url)
    try:
        fragment = parse_qsl(parts.fragment, keep_blank_values=True, max_num_fields=64)
        query = parse_qsl(parts.query, keep_blank_values=True, max_num_fields=64)
    except ValueError as exc:
        raise MalformedCallback("callback has too many parameters") from exc
    if any(name in _RESPONSE_PARAMETERS for name, _ in fragment):
        raise MalformedCallback("authorization response parameters in the fragment")
    found: dict[str, str] = {}
    for name, value in query:
        if name not in _RESPONSE_PARAMETERS:
            continue
        if name in found:
            raise MalformedCallback(f"repeated callback parameter {name!r}")
        found[name] = value
    return found


class AuthorizationFlows:
    """Pending flows of one client: ``begin`` stores them, ``accept`` consumes them."""

    def __init__(self, config: ClientConfig, store: FlowStore, clock: Clock) -> None:
        self._config = config
        self._store = store
        self._clock = clock

    def begin(self, session: Session, return_to: str | None = None) -> str:
        """The authorization URL for a new flow of ``session``."""
        target = safe_return_to(return_to) if return_to is not None else None
        now = self._clock()
        self._store.discard_expired(now)
        binding = ensure_binding(session)
        state = secrets.token_urlsafe(_STATE_BYTES)
        verifier = new_code_verifier()
        flow = PendingFlow(
            state=state,
            binding=binding,
            code_verifier=verifier,
            redirect_uri=self._config.callback_url,
            issuer=self._config.expected_issuer,
            created_at=now,
            expires_at=now + self._config.flow_lifetime,
            return_to=target,
        )
        self._store.put(flow_key(binding, state), flow)
        return self._authorization_url(state, code_challenge(verifier))

    def _authorization_url(self, state: str, challenge: str) -> str:
        config = self._config
        params = {
            "audience": config.audience,
            "client_id": config.client_id,
            "scope": " ".join(config.scopes),
            "redirect_uri": config.callback_url,
            "state": state,
            "response_type": "code",
        }
        if config.prompt:
            params["prompt"] = config.prompt
        params["code_challenge"] = challenge
        params["code_challenge_method"] = "S256"
        return f"{config.authorize_url}?{urlencode(params, quote_via=quote)}"

    def accept(self, session: Session, callback_url: str) -> AcceptedCallback:
        """The code of ``callback_url`` if it answers a flow this session started, else raise."""
        params = callback_parameters(callback_url)
        flow = self._consume_flow(session, params.get("state", ""))
        self._check_issuer(flow, params.get("iss"))
        error = params.get("error")
        if error is not None:
            raise _authorization_error(error, params.get("error_description"), flow.return_to)
        code = params.get("code", "")
        if not code:
            raise MalformedCallback("callback carries neither code nor error")
        return AcceptedCallback(code=code, flow=flow)

    def _consume_flow(self, session: Session, state: str) -> PendingFlow:
        # RFC 6749 §10.12 / RFC 9700 §4.7: the state must be one this very session issued;
        # RFC 9700 §4.2.4: it is spent on first use, whatever the callback says.
        if not state or len(state) > _MAX_STATE_LENGTH:
            raise StateMismatch("callback has no usable state")
        binding = binding_of(session)
        if binding is None:
            raise StateMismatch("this session started no authorization flow")
        flow = self._store.take(flow_key(binding, state))
        if flow is None:
            raise StateMismatch("state unknown to this session or already used")
        same_state = hmac.compare_digest(flow.state.encode(), state.encode())
        same_binding = hmac.compare_digest(flow.binding.encode(), binding.encode())
        if not (same_state and same_binding):
            raise StateMismatch("state unknown to this session or already used")
        if self._clock() >= flow.expires_at:
            raise StateMismatch("authorization flow expired")
        return flow

    def _check_issuer(self, flow: PendingFlow, iss: str | None) -> None:
        # RFC 9207 §2.4: simple string comparison with the issuer the flow was started for.
        if iss is None:
            if self._config.require_iss:
                raise IssuerMismatch("authorization response lacks iss")
            return
        if not hmac.compare_digest(iss.encode(), flow.issuer.encode()):
            raise IssuerMismatch("authorization response comes from another issuer")


def _authorization_error(
    error: str, description: str | None, return_to: str | None
) -> AuthorizationError:
    if error == "access_denied":
        return AuthorizationDenied(error, description, return_to)
    return AuthorizationError(error, description, return_to)


@dataclass(frozen=True)
class Authorization:
    """The outcome of a completed flow: fresh tokens and the validated return-to target."""

    tokens: TokenSet
    return_to: str | None
