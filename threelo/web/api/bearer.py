"""Bearer token transport: the ``Authorization`` header only (RFC 6750 §2.1).

The form-body and query forms (§2.2, §2.3) are refused: tokens in URLs leak into logs and
Referer headers (§5.3), and a request using more than one method is ``invalid_request`` (§2).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.requests import Request

from threelo.core.access import MAX_TOKEN_BYTES
from threelo.web.api.errors import ApiError, invalid_request, invalid_token, missing_token

# RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token;
# the scheme is case-insensitive (RFC 9110 §11.1).
_CREDENTIALS = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)")


def _query_has_token(request: Request) -> bool:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return any(k == "access_token" for k, _ in parse_qsl(query, keep_blank_values=True))


def bearer_token(request: Request, body: bytes = b"") -> str:
    headers = request.headers.getlist("authorization")
    in_query = _query_has_token(request)
    in_body = _form_has_token(request, body)
    if len(headers) > 1:
        raise invalid_request("More than one Authorization header")
    if (headers and (in_query or in_body)) or (in_query and in_body):
        raise invalid_request("More than one method of sending the access token")
    if in_query or in_body:
        raise invalid_request("Send the access token in the Authorization header")
    if not headers:
        raise missing_token()
    return _parse(headers[0])


def _parse(header: str) -> str:
    if len(header) > MAX_TOKEN_BYTES + 16:
        raise invalid_token()
    match = _CREDENTIALS.fullmatch(header.strip(" "))
    if match is None:
        if header.strip().lower().startswith("bearer"):
            raise invalid_token()
        raise missing_token()  # another scheme (e.g. Basic) carries no bearer token
    return match.group(1)


def _form_has_token(request: Request, body: bytes) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded" or not body:
        return False
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    return any(k == "access_token" for k, _ in pairs)


__all__ = ["ApiError", "bearer_token"]
