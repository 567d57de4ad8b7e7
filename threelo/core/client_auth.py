"""Client authentication at the token, revocation and introspection endpoints.

RFC 6749 §2.3: a confidential client authenticates with its secret, by HTTP Basic *or* in
the body, never both (§2.3.1, checked by the web adapter) and never in the URI. A public
client (RFC 6749 §2.1) sends only its ``client_id`` and must use PKCE (RFC 9700 §2.1.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from threelo.core.errors import InvalidClient
from threelo.core.models import App
from threelo.core.ports import Tx
from threelo.core.secret_values import matches


class AuthMethod(StrEnum):
    BASIC = "client_secret_basic"
    POST = "client_secret_post"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    client_id: str
    secret: str | None  # None: no secret sent (an empty one counts as none)
    method: AuthMethod

    def __repr__(self) -> str:  # never print the secret (RFC 6819 §5.1.4.1.3)
        return f"ClientCredentials(client_id={self.client_id!r}, method={self.method.value})"


def authenticate_client(tx: Tx, creds: ClientCredentials) -> App:
    return _authenticated(tx.apps.get(creds.client_id) if creds.client_id else None, creds)


def authenticate_client_later(tx: Tx, creds: ClientCredentials) -> Callable[[], App]:
    """:func:`authenticate_client` with the app's read sent along with the unit's next
    statement (``Tx.apps.get_later``): the function returned authenticates on its first call,
    raising ``InvalidClient`` as :func:`authenticate_client` does, and answers the same after.

    A caller must call it before it acts on anything it read or wrote in between, and let
    ``InvalidClient`` end the unit of work, so that whatever an unauthenticated request wrote
    is rolled back (RFC 6749 §3.2.1: the client authenticates before its grant is looked at).
    """
    found = tx.apps.get_later(creds.client_id) if creds.client_id else None
    checked: list[App] = []

    def app() -> App:
        if not checked:
            checked.append(_authenticated(found() if found is not None else None, creds))
        return checked[0]

    return app


def _authenticated(app: App | None, creds: ClientCredentials) -> App:
    if app is None:
        raise InvalidClient("Unauthorized", detail=f"unknown client {creds.client_id!r}")
    if app.public:
        # A secret sent by a public client is not silently ignored: it means a confused or
        # impersonating caller (security-catalogue CA-09b, pinned: rejected). HTTP Basic
        # with an empty password (what requests-oauthlib sends) carries no secret.
        if creds.secret is not None:
            raise InvalidClient("Unauthorized", detail="public client sent a secret")
        return app
    if creds.method is AuthMethod.NONE or creds.secret is None or app.secret_digest is None:
        raise InvalidClient("Unauthorized", detail="confidential client without secret")
    if not matches(creds.secret, app.secret_digest):
        raise InvalidClient("Unauthorized", detail="wrong client secret")
    return app
