"""The caller's web session, as the SDK sees it.

The SDK needs only a mutable mapping that lives as long as the user's browser session: it keeps
one random *binding id* there and never anything secret. Starlette's ``request.session``,
Flask's ``flask.session`` and Django's ``request.session`` all qualify as they are; the helpers
below only make that explicit (and typed) without importing those frameworks.
"""

from __future__ import annotations

import secrets
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "BINDING_KEY",
    "Session",
    "binding_of",
    "django_session",
    "ensure_binding",
    "flask_session",
    "forget_binding",
    "starlette_session",
]

BINDING_KEY = "threelo.sdk.binding"


@runtime_checkable
class Session(Protocol):
    """The few mapping methods the SDK uses on a session object."""

    def get(self, key: str, /) -> Any: ...

    def __setitem__(self, key: str, value: Any, /) -> None: ...

    def pop(self, key: str, default: Any, /) -> Any: ...


def ensure_binding(session: Session) -> str:
    """The session's binding id, created on first use (RFC 6819 §5.3.5: bind state to the UA)."""
    current = binding_of(session)
    if current is not None:
        return current
    binding = secrets.token_urlsafe(32)
    session[BINDING_KEY] = binding
    return binding


def binding_of(session: Session) -> str | None:
    """The session's binding id, or ``None`` if this session never started a flow."""
    value = session.get(BINDING_KEY)
    return value if isinstance(value, str) and value else None


def forget_binding(session: Session) -> None:
    """Drop the binding id; flows started earlier in this session can no longer complete."""
    session.pop(BINDING_KEY, None)


class _HasSession(Protocol):
    @property
    def session(self) -> Any: ...


def _checked(session: Any) -> Session:
    if not isinstance(session, Session):
        raise TypeError("session object lacks get/__setitem__/pop")
    return session


def starlette_session(request: _HasSession) -> Session:
    """``request.session`` of a Starlette request (needs ``SessionMiddleware``)."""
    return _checked(request.session)


def django_session(request: _HasSession) -> Session:
    """``request.session`` of a Django ``HttpRequest`` (needs ``SessionMiddleware``)."""
    return _checked(request.session)


def flask_session(session: Any) -> Session:
    """Flask's ``flask.session`` proxy (pass it in; Flask is not imported here)."""
    return _checked(session)
