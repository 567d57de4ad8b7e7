"""App callback URLs: what may be registered, and which presented URL matches one.

Registration (RFC 6749 §3.1.2, §3.1.2.2; RFC 9700 §2.1, §2.6): an absolute ``https`` URL, or
``http`` only on a loopback host, with no fragment, no userinfo, no wildcard and nothing but
printable ASCII. A URL is stored exactly as given, so that matching stays a plain comparison.

Matching (RFC 9700 §4.1.3): the presented ``redirect_uri`` must equal a registered URL string for
string. The single exception is RFC 8252 §7.3: for a registered ``http`` URL on a loopback IP
literal (``127.0.0.1`` or ``[::1]``) a native app may listen on any port, so the port of the
presented URL may differ while every other byte is the same. ``localhost`` gets no such exception
(RFC 8252 §8.3: it may resolve elsewhere).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LENGTH = 2000
LOOPBACK_IP_HOSTS = frozenset({"127.0.0.1", "[::1]"})
HTTP_HOSTS = LOOPBACK_IP_HOSTS | {"localhost"}

_SHAPE = re.compile(r"(?P<scheme>https?)://(?P<authority>[^/?]*)(?P<rest>.*)", re.DOTALL)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DOT_SEGMENT = re.compile(r"/\.{1,2}(?=/|\?|$)")


class CallbackUrlError(ValueError):
    """A callback URL that may not be registered; the message is one human line."""


@dataclass(frozen=True, slots=True)
class CallbackUrl:
    scheme: str
    host: str  # as written; IPv6 literals keep their brackets
    port: str  # "" when absent
    rest: str  # path and query, as written


def validate_callback_url(url: str) -> str:
    """Return ``url`` unchanged when it may be registered; raise :class:`CallbackUrlError`."""
    parse_callback_url(url)
    return url


def validate_callback_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """Validate several URLs; duplicates collapse, order is kept; at least one is needed."""
    out = tuple(dict.fromkeys(validate_callback_url(u) for u in urls))
    if not out:
        raise CallbackUrlError("an app needs at least one callback URL")
    return out


def parse_callback_url(url: str) -> CallbackUrl:
    _check_characters(url)
    match = _SHAPE.fullmatch(url)
    if match is None:
        raise CallbackUrlError(_scheme_problem(url))
    host, port = _split_authority(match["authority"])
    parts = CallbackUrl(match["scheme"], host, port, match["rest"])
    if parts.scheme == "http" and host not in HTTP_HOSTS:
        # RFC 9700 §2.6: plain http only for loopback redirects of native apps.
        raise CallbackUrlError(
            f"callback URL must use https (http only on 127.0.0.1, [::1] or localhost): {url!r}"
        )
    _check_rest(url, parts.rest)
    _check_agrees_with_urlsplit(url, parts)
    return parts


def matches_registered(registered: Sequence[str], candidate: str) -> str | None:
    """The registered callback URL that ``candidate`` matches, or None.

    Simple string comparison (RFC 9700 §4.1.3), plus the loopback-port rule of RFC 8252 §7.3.
    The caller redirects to ``candidate`` itself.
    """
    for url in registered:
        if url == candidate:
            return url
    presented = _loopback_ip(candidate)
    if presented is None:
        return None
    for url in registered:
        own = _loopback_ip(url)
        if own is not None and own.host == presented.host and own.rest == presented.rest:
            return url
    return None


def _loopback_ip(url: str) -> CallbackUrl | None:
    try:
        parts = parse_callback_url(url)
    except CallbackUrlError:
        return None
    if parts.scheme == "http" and parts.host in LOOPBACK_IP_HOSTS:
        return parts
    return None


def _check_characters(url: str) -> None:
    if not url:
        raise CallbackUrlError("callback URL must not be empty")
    if len(url) > MAX_LENGTH:
        raise CallbackUrlError(f"callback URL must be at most {MAX_LENGTH} characters")
    if any(not ("!" <= ch <= "~") for ch in url):
        raise CallbackUrlError(
            f"callback URL must not contain spaces, control or non-ASCII characters: {url!r}"
        )
    if "#" in url:
        raise CallbackUrlError(f"callback URL must not have a fragment: {url!r}")
    if "*" in url:
        raise CallbackUrlError(f"callback URL must not contain wildcards: {url!r}")
    if "\\" in url:
        raise CallbackUrlError(f"callback URL must not contain backslashes: {url!r}")


def _scheme_problem(url: str) -> str:
    scheme = _SCHEME.match(url)
    if scheme is None:
        return f"callback URL must be absolute (https://...): {url!r}"
    if scheme.group().lower() in ("http:", "https:"):
        return f"callback URL must start with https:// (lower case) and name a host: {url!r}"
    return f"callback URL scheme {scheme.group()[:-1]!r} is not allowed, use https: {url!r}"


def _split_authority(authority: str) -> tuple[str, str]:
    if "@" in authority:
        raise CallbackUrlError("callback URL must not contain user information ('@')")
    if "%" in authority:
        raise CallbackUrlError("callback URL host must not be percent-encoded")
    host, colon, port = authority.rpartition(":") if _has_port(authority) else (authority, "", "")
    if colon and (_PORT.fullmatch(port) is None or int(port) > 65535):
        raise CallbackUrlError(f"callback URL has an invalid port: {port!r}")
    _check_host(host)
    return host, port


def _has_port(authority: str) -> bool:
    return ":" in authority.rsplit("]", 1)[-1]


def _check_host(host: str) -> None:
    if host.startswith("["):
        if not host.endswith("]") or not _is_ipv6(host[1:-1]):
            raise CallbackUrlError(f"callback URL has an invalid IPv6 host: {host!r}")
        return
    labels = host.split(".")
    if not host or len(host) > 253 or any(_LABEL.fullmatch(label) is None for label in labels):
        raise CallbackUrlError(f"callback URL has an invalid host name: {host!r}")
    if labels[-1].isdigit() and not _is_ipv4(host):
        raise CallbackUrlError(f"callback URL has an invalid IPv4 host: {host!r}")


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _check_rest(url: str, rest: str) -> None:
    if rest and rest[0] not in "/?":
        raise CallbackUrlError(f"callback URL path must start with '/': {url!r}")
    if _BAD_ESCAPE.search(rest):
        raise CallbackUrlError(f"callback URL has a malformed percent-escape: {url!r}")
    if _DOT_SEGMENT.search(rest.split("?", 1)[0]):
        raise CallbackUrlError(f"callback URL path must not contain '.' or '..' segments: {url!r}")


def _check_agrees_with_urlsplit(url: str, parts: CallbackUrl) -> None:
    """Refuse what the standard parser reads differently (RFC 9700 §4.1: parser differentials)."""
    split = urlsplit(url)
    try:
        port = split.port
    except ValueError:
        port = -1
    rest = split.path + (f"?{split.query}" if "?" in url else "")
    expected_port = int(parts.port) if parts.port else None
    if (split.scheme, split.netloc, rest, port, split.fragment) != (
        parts.scheme,
        parts.host + (f":{parts.port}" if parts.port else ""),
        parts.rest,
        expected_port,
        "",
    ):
        raise CallbackUrlError(f"callback URL is ambiguous: {url!r}")
