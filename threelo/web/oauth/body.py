"""Reading token-endpoint style requests: one body, one client-authentication method.

Both ``application/x-www-form-urlencoded`` (RFC 6749 §4.1.3) and JSON (Atlassian's documented
form) go through one reader so they share every rule: parameters appear once (RFC 6749
§3.2), values are strings, nothing rides in the URI (§2.3.1), no control characters.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request

from threelo.core.client_auth import AuthMethod, ClientCredentials
from threelo.core.errors import InvalidClient, InvalidRequest

MAX_BODY = 64 * 1024
MAX_FIELDS = 64
MAX_BASIC_HEADER = 4096
_PARAMETER_NAME = re.compile(r"[a-z_]{1,32}")


class BasicAuthFailed(InvalidClient):
    """invalid_client after HTTP Basic: the answer carries ``WWW-Authenticate`` (§5.2)."""


class BodyTooLarge(InvalidRequest):
    """Refused before it is read to the end: 413 (RFC 9110 §15.5.14)."""

    status = 413


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _printable(text: str) -> bool:
    """No C0 controls or DEL (PostgreSQL text cannot hold NUL), and no lone surrogates,
    which no database encoding accepts (security-catalogue PH-09)."""
    return _UNPRINTABLE.search(text) is None


def _named(key: str) -> str:
    """A parameter's name fit to repeat in a description: never arbitrary input."""
    return key if _PARAMETER_NAME.fullmatch(key) else "a parameter"


def _reject_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidRequest(f"Parameter {_named(key)} is repeated")  # RFC 6749 §3.2
        out[key] = value
    return out


def _clean(params: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if not isinstance(value, str):
            raise InvalidRequest(f"Parameter {_named(key)} must be a string")
        if not _printable(key) or not _printable(value):
            raise InvalidRequest(f"Parameter {_named(key)} contains control characters")
        if value:  # RFC 6749 §3.2: an empty parameter is treated as omitted
            out[key] = value
    return out


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_pairs)
    except InvalidRequest:
        raise
    except (ValueError, RecursionError):
        raise InvalidRequest("The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("The JSON body must be an object")
    return data


def _form(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("ascii")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            max_num_fields=MAX_FIELDS,
            encoding="utf-8",
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("The body is not a valid form") from None
    return _reject_pairs(list(pairs))


async def read_params(request: Request) -> dict[str, str]:
    if request.scope.get("query_string"):  # the raw bytes: no URL object to build
        raise InvalidRequest("Parameters must be sent in the request body, not the URI")
    declared = request.headers.get("content-length")
    if declared is not None and not (declared.isascii() and declared.isdigit()):
        raise InvalidRequest("Bad Content-Length")
    if declared is not None and int(declared) > MAX_BODY:
        raise BodyTooLarge("The request body is too large")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise BodyTooLarge("The request body is too large")
    media, *options = request.headers.get("content-type", "").lower().split(";")
    media = media.strip()
    for option in options:
        name, _, value = option.strip().partition("=")
        if name == "charset" and value.strip('"') not in ("utf-8", "utf8"):
            raise InvalidRequest("Only UTF-8 bodies are accepted")  # PH-11: no utf-7 tricks
    if media == "application/json":
        return _clean(_json(raw))
    if media == "application/x-www-form-urlencoded":
        return _clean(_form(raw))
    raise InvalidRequest("Send application/x-www-form-urlencoded or application/json")


def _basic(header: str) -> tuple[str, str | None]:
    """Client id and secret of an HTTP Basic header (RFC 7617); an empty secret is None."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip() or len(header) > MAX_BASIC_HEADER:
        raise BasicAuthFailed("Unauthorized", detail="malformed Authorization header")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        user, sep, password = decoded.partition(":")
        # RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
        client_id = unquote_plus(user, errors="strict")
        secret = unquote_plus(password, errors="strict")
    except (binascii.Error, UnicodeDecodeError):
        raise BasicAuthFailed("Unauthorized", detail="Basic credentials not base64") from None
    if not sep or not client_id or not _printable(client_id + secret):
        raise BasicAuthFailed("Unauthorized", detail="Basic credentials without a usable id")
    return client_id, secret or None


def client_credentials(request: Request, params: dict[str, str]) -> ClientCredentials:
    """One authentication method per request (RFC 6749 §2.3)."""
    headers = request.headers.getlist("authorization")
    if len(headers) > 1:
        raise InvalidRequest("Repeated Authorization header")
    body_id = params.pop("client_id", None)
    body_secret = params.pop("client_secret", None)
    if headers:
        if body_secret is not None:
            raise InvalidRequest("Use one client authentication method, not two")
        client_id, secret = _basic(headers[0])
        if body_id is not None and body_id != client_id:
            raise InvalidRequest("client_id differs from the authenticated client")
        return ClientCredentials(client_id, secret, AuthMethod.BASIC)
    if not body_id:
        raise InvalidClient("Unauthorized", detail="no client identification")
    if body_secret is not None:
        return ClientCredentials(body_id, body_secret, AuthMethod.POST)
    return ClientCredentials(body_id, None, AuthMethod.NONE)
