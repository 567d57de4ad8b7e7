"""Headers for every interactive page: no framing, no foreign scripts, no leaking referrers.

- ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``: clickjacking (RFC 6749 §10.13;
  RFC 9700 §4.16).
- ``Referrer-Policy: no-referrer``: the authorize URL (with ``state``) and codes must not leak
  through ``Referer`` (RFC 9700 §4.2.4).
- ``Cache-Control: no-store``: pages carrying anti-CSRF tokens are never cached (RFC 6749 §5.1).
- ``form-action`` lists our own origin plus, on pages whose form answer redirects to an app, that
  app's callback origin (browsers apply ``form-action`` to the redirects after a submission).

These pages never carry CORS headers: any that a handler set are removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar
from urllib.parse import urlsplit

from starlette.responses import Response

_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
R = TypeVar("R", bound=Response)


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    form_action = " ".join(["'self'", *sorted(set(form_targets))])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    )


def security_headers(*, no_store: bool = True, form_targets: Iterable[str] = ()) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(form_targets),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if no_store:
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return headers


def apply_security_headers(
    response: R, *, no_store: bool = True, form_targets: Iterable[str] = ()
) -> R:
    """Set the interactive-page headers on ``response`` and strip any CORS header (§4.3)."""
    for name in [n for n in response.headers if n.lower().startswith("access-control-")]:
        del response.headers[name]
    response.headers.update(security_headers(no_store=no_store, form_targets=form_targets))
    return response


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, when it is safe to put in a CSP."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if _ORIGIN.fullmatch(origin) else None
