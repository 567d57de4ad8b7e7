"""Authorization responses: where the user-agent goes back to the client.

Parameters are added to the redirect URI's own query, which is kept as registered (RFC 6749
§3.1.2; RU-04). Every response, success or error, carries ``iss`` (RFC 9207 §2).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from threelo.core.errors import OAuthError


def with_query(redirect_uri: str, params: list[tuple[str, str]]) -> str:
    """Append ``params`` to ``redirect_uri``'s query; values are percent-encoded, so CR/LF can't
    split the ``Location`` header (RFC 6749 §10.14)."""
    extra = urlencode(params, quote_via=quote, safe="")
    if not extra:
        return redirect_uri
    if "?" not in redirect_uri:
        return f"{redirect_uri}?{extra}"
    if redirect_uri.endswith(("?", "&")):
        return redirect_uri + extra
    return f"{redirect_uri}&{extra}"


def success_uri(redirect_uri: str, *, code: str, state: str | None, issuer: str) -> str:
    params = [("code", code)]
    if state is not None:
        params.append(("state", state))
    params.append(("iss", issuer))
    return with_query(redirect_uri, params)


def error_uri(redirect_uri: str, error: OAuthError, *, state: str | None, issuer: str) -> str:
    """RFC 6749 §4.1.2.1 error response."""
    params = [("error", error.code)]
    if error.description:
        params.append(("error_description", error.description))
    if state is not None:
        params.append(("state", state))
    params.append(("iss", issuer))
    return with_query(redirect_uri, params)
