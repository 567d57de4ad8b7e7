"""Reading browser input safely: bounded form bodies, the client's address, return targets."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from threelo.web.common.sessions import web_context

MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 200
MAX_NEXT_LENGTH = 8192
FORM_TYPE = "application/x-www-form-urlencoded"
_UNSAFE_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


class FormError(Exception):
    """A body that is not a small urlencoded form; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(request: Request) -> list[tuple[str, str]]:
    """The posted ``application/x-www-form-urlencoded`` fields, in order, repeats kept.

    Bodies over 64 KiB (413) and other content types (415) are refused; undecodable bytes
    become U+FFFD rather than errors.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise FormError(415, "Send the form as application/x-www-form-urlencoded.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError(413, "The form is too large.")
    try:
        return parse_qsl(
            body.decode("latin-1"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            encoding="utf-8",
            errors="replace",
        )
    except ValueError:
        raise FormError(413, "The form has too many fields.") from None


def field(form: list[tuple[str, str]], name: str) -> str | None:
    """The single value of ``name``; None when it is missing or repeated."""
    values = [value for key, value in form if key == name]
    return values[0] if len(values) == 1 else None


def client_address(request: Request) -> str:
    """The peer address; the proxy-set ``X-Forwarded-For`` entry only when told to trust it."""
    return address_of(
        request, trust_forwarded_for=web_context(request).settings.trust_forwarded_for
    )


def address_of(request: Request, *, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-origin relative path to return to after sign-in, else ``default``.

    Refuses absolute and scheme-relative URLs (``//evil``, ``/\\evil``), control characters and
    whitespace: an open redirect would hand codes to an attacker (RFC 9700 §4.11).
    """
    if not target or len(target) > MAX_NEXT_LENGTH or not target.startswith("/"):
        return default
    if target.startswith("//") or _UNSAFE_NEXT.search(target) or not target.isascii():
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
