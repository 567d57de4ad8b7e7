"""Anti-CSRF tokens and the cross-site form check (RFC 6749 §10.12; OWASP CSRF Cheat Sheet).

A token is ``HMAC-SHA256(session.csrf_secret, purpose "\\0" binding)``: it is worthless in
another session, for another form, or (consent) for another pending request. Tokens are compared
with ``hmac.compare_digest``. A form post the browser marks as coming from another origin
(``Sec-Fetch-Site``, else ``Origin``) is refused before any token is looked at (UI-01c).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import Request

from threelo.core.models import Session
from threelo.web.common.sessions import current_session, web_context

FIELD = "csrf"


def derive_token(session: Session, purpose: str, binding: str = "") -> str:
    message = f"{purpose}\x00{binding}".encode("utf-8", "surrogatepass")
    mac = hmac.new(session.csrf_secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_token(request: Request, purpose: str, binding: str = "") -> str:
    """The token for a form of ``purpose`` in this request's session ("" without a session)."""
    session = current_session(request)
    return derive_token(session, purpose, binding) if session is not None else ""


def check_csrf(
    request: Request, form: Iterable[tuple[str, str]], purpose: str, binding: str = ""
) -> bool:
    """True when the request is same-origin and ``form`` holds exactly one matching token."""
    if not same_origin_post(request):
        return False
    session = current_session(request)
    tokens = [value for name, value in form if name == FIELD]
    if session is None or len(tokens) != 1:
        return False
    expected = derive_token(session, purpose, binding)
    return hmac.compare_digest(expected.encode(), tokens[0].encode("utf-8", "surrogatepass"))


def same_origin_post(request: Request) -> bool:
    """False for a form post the browser says came from elsewhere.

    ``Sec-Fetch-Site`` decides when sent. Without it, an ``Origin`` other than ours is refused;
    ``Origin: null`` carries no information (browsers send it for our own forms under
    ``Referrer-Policy: no-referrer``), so the anti-CSRF token and the ``SameSite=Lax`` cookie
    decide alone.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin in own_origins(request)


def own_origins(request: Request) -> frozenset[str]:
    issuer = urlsplit(web_context(request).settings.issuer)
    return frozenset(
        {f"{issuer.scheme}://{issuer.netloc}", f"{request.url.scheme}://{request.url.netloc}"}
    )
