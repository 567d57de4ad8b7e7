"""Show a new client secret once, across the redirect that follows the form post.

The console answers every post with a 303 (PRG), so a secret made by a post must reach the page
the browser is sent to without being stored anywhere in clear (CA-08; RFC 6819 §5.1.4.1.3). It
travels in a short-lived cookie sealed with AES-GCM under a key derived from the server's secret
key, bound to the developer and the app, scoped to that app's console path, ``HttpOnly`` and
``SameSite=Strict``. The app page opens it, checks it against the stored digest (a secret
rotated since is never shown), shows it, and deletes the cookie: reloading shows it no more.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.requests import Request
from starlette.responses import Response

from threelo.core.models import App
from threelo.core.secret_values import matches
from threelo.web.common import web_context

COOKIE_NAME = "threelo_reveal"
MAX_AGE = 300
_NONCE_BYTES = 12
_MAX_COOKIE_LENGTH = 512


def app_path(client_id: str) -> str:
    return f"/console/apps/{client_id}"


def put_secret(
    request: Request, response: Response, account_id: str, client_id: str, secret: str
) -> None:
    """Attach ``secret`` to ``response`` for the next view of the app's console page."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(request).encrypt(nonce, secret.encode(), _bound(account_id, client_id))
    response.set_cookie(
        COOKIE_NAME,
        base64.urlsafe_b64encode(nonce + sealed).decode(),
        max_age=MAX_AGE,
        path=app_path(client_id),
        secure=web_context(request).settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def take_secret(request: Request, response: Response, account_id: str, app: App) -> str | None:
    """The secret sealed for this developer and app, if it is still the app's secret; the
    cookie is deleted either way."""
    value = request.cookies.get(COOKIE_NAME)
    if value is None:
        return None
    response.delete_cookie(
        COOKIE_NAME,
        path=app_path(app.client_id),
        secure=web_context(request).settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    secret = _open(request, value, account_id, app.client_id)
    if secret is None or app.secret_digest is None or not matches(secret, app.secret_digest):
        return None
    return secret


def _open(request: Request, value: str, account_id: str, client_id: str) -> str | None:
    if len(value) > _MAX_COOKIE_LENGTH or not value.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(value.encode())
        plain = _cipher(request).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _bound(account_id, client_id)
        )
        return plain.decode()
    except (binascii.Error, ValueError, InvalidTag, UnicodeDecodeError):
        return None


def _cipher(request: Request) -> AESGCM:
    key = web_context(request).settings.secret_key.encode()
    return AESGCM(hashlib.sha256(b"threelo console secret reveal\x00" + key).digest())


def _bound(account_id: str, client_id: str) -> bytes:
    return f"{account_id}\x00{client_id}".encode("utf-8", "surrogatepass")
