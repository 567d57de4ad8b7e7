"""Where to send the user after the flow: same-origin relative paths only (RFC 9700 §4.11)."""

from __future__ import annotations

from urllib.parse import urlsplit

from .errors import UnsafeReturnTo

__all__ = ["safe_return_to"]

_MAX_LENGTH = 2048


def safe_return_to(target: str) -> str:
    """Return ``target`` if it is a same-origin path such as ``/issues?x=1``, else raise.

    Refused: absolute URLs, scheme-relative ``//host``, ``/\\host`` (browsers read ``\\`` as
    ``/``), ``https:host``, and any control character or whitespace, which browsers strip before
    parsing (``/\\t/host`` becomes ``//host``).
    """
    if not target or len(target) > _MAX_LENGTH:
        raise UnsafeReturnTo("return_to must be a non-empty relative path")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        raise UnsafeReturnTo("return_to contains a control character, space or backslash")
    if not target.startswith("/") or target.startswith("//"):
        raise UnsafeReturnTo("return_to must start with a single '/'")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        raise UnsafeReturnTo("return_to must not name a scheme or host")
    return target
