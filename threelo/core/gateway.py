"""Who may call which product route on which site (CONTRACT §5.3).

Plain values in, a :class:`GatewayDecision` or a :class:`GatewayDenied` out. The web adapter
hands over the *raw* request path; everything here works on that one string, and the path that
is checked is the path that is forwarded (no second decoding or normalisation anywhere, so a
policy check cannot be bypassed by an encoding the upstream resolves differently — RFC 3986
§5.2.4; Keycloak CVE-2026-15573).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from threelo.core.access import AccessContext
from threelo.core.scopes import Product
from threelo.core.secret_values import new_id

BUILTIN = "builtin"
SCOPE_MISMATCH = "Unauthorized; scope does not match"
NOT_FOUND = "Not Found"
SCOPE_FAILURE_CATEGORY = "FAILURE_CLIENT_SCOPE_CHECK"

_CLOUD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PRODUCT = re.compile(r"[a-z][a-z0-9-]{0,39}")
# RFC 3986 §3.3 pchar without "%" escapes of "/", ".", "\\" and without ";" parameters.
_SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,=:@]|%[0-9A-Fa-f]{2})*")
_AMBIGUOUS_ESCAPES = re.compile(r"%(2f|2e|5c|00|3b|25)", re.IGNORECASE)


class GatewayDenied(Exception):
    def __init__(self, status: int, message: str, *, category: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category


@dataclass(frozen=True, slots=True)
class RouteRule:
    """``method`` + a path pattern → the scopes it needs (all of them).

    Pattern segments: a literal, ``{name}`` (any one segment), ``{name:a|b}`` (one of the
    listed literals), or a final ``**`` (any rest, possibly empty)."""

    method: str
    pattern: str
    scopes: tuple[str, ...]

    def matches(self, method: str, path: str) -> bool:
        return self.method in (method, "*") and _match(self.pattern.split("/"), path.split("/"))


def _match(pattern: list[str], parts: list[str]) -> bool:
    for i, want in enumerate(pattern):
        if want == "**" and i == len(pattern) - 1:
            return True
        if i >= len(parts):
            return False
        got = parts[i]
        if want.startswith("{") and want.endswith("}"):
            _, _, options = want[1:-1].partition(":")
            if not got or (options and got not in options.split("|")):
                return False
        elif want != got:
            return False
    return len(parts) == len(pattern)


@dataclass(frozen=True, slots=True)
class ProductService:
    """A product behind the gateway: its scopes, its routes, and where it runs."""

    product: Product
    upstream: str  # base URL, or BUILTIN
    rules: tuple[RouteRule, ...]
    timeout: float = 10.0

    @property
    def name(self) -> str:
        return self.product.name

    def rule_for(self, method: str, path: str) -> RouteRule | None:
        method = "GET" if method == "HEAD" else method
        return next((r for r in self.rules if r.matches(method, path)), None)


class ProductRegistry:
    def __init__(self, services: Iterable[ProductService]) -> None:
        self.services: Mapping[str, ProductService] = {s.name: s for s in services}

    def get(self, name: str) -> ProductService | None:
        return self.services.get(name)


@dataclass(frozen=True, slots=True)
class GatewayTarget:
    """The checked pieces of ``/ex/{product}/{cloud_id}/{path}``."""

    product: str
    cloud_id: str
    path: str  # starts with "/", exactly as received (still percent-encoded)


@dataclass(frozen=True, slots=True)
class GatewayDecision:
    service: ProductService
    target: GatewayTarget
    rule: RouteRule


def parse_target(raw_path: str) -> GatewayTarget:
    """Split and check a raw ``/ex/...`` path; anything ambiguous is a 400 before any other
    check (RFC 3986 §5.2.4 dot segments, encoded ``/`` and ``.``, ``;`` parameters, ``\\``,
    NUL, empty segments)."""
    if not raw_path.startswith("/ex/"):
        raise GatewayDenied(400, "Bad Request")
    parts = raw_path.split("/")[2:]
    if len(parts) < 3 or any(not _segment_ok(p) for p in parts[:-1]) or not _last_ok(parts[-1]):
        raise GatewayDenied(400, "Bad Request")
    product, cloud_id, rest = parts[0], parts[1], parts[2:]
    if not _PRODUCT.fullmatch(product):
        raise GatewayDenied(404, NOT_FOUND)
    if not _CLOUD_ID.fullmatch(cloud_id):
        raise GatewayDenied(400, "Bad Request")
    return GatewayTarget(product, cloud_id, "/" + "/".join(rest))


def _segment_ok(segment: str) -> bool:
    return (
        segment not in ("", ".", "..")
        and _SEGMENT.fullmatch(segment) is not None
        and _AMBIGUOUS_ESCAPES.search(segment) is None
    )


def _last_ok(segment: str) -> bool:
    return segment == "" or _segment_ok(segment)  # a trailing "/" is not ambiguous


def decide(
    registry: ProductRegistry, access: AccessContext, target: GatewayTarget, method: str
) -> GatewayDecision:
    """Order: unknown product or route (404), scope (401), site reach (404). The scope answer
    never depends on the site, and every site answer is the same 404, so neither leaks
    whether a cloud id exists (GW-01; RFC 9700 §2.3)."""
    service = registry.get(target.product)
    if service is None:
        raise GatewayDenied(404, NOT_FOUND)
    rule = service.rule_for(method.upper(), target.path)
    if rule is None:
        raise GatewayDenied(404, NOT_FOUND)
    if not access.has_scopes(rule.scopes):
        raise GatewayDenied(401, SCOPE_MISMATCH, category=SCOPE_FAILURE_CATEGORY)
    if access.reaches(target.cloud_id, target.product) is None:
        raise GatewayDenied(404, NOT_FOUND)
    return GatewayDecision(service=service, target=target, rule=rule)


def assertion_claims(
    access: AccessContext, target: GatewayTarget, *, issuer: str, now: int, ttl: int = 60
) -> dict[str, object]:
    """The identity the upstream may trust: signed by the platform, short-lived, addressed to
    the product (RFC 9700 §4.13: proxies set security-relevant headers themselves)."""
    return {
        "iss": issuer,
        "sub": access.account.account_id,
        "aud": target.product,
        "cloud_id": target.cloud_id,
        "client_id": access.app.client_id,
        "scope": " ".join(access.scopes),
        "iat": now,
        "exp": now + min(ttl, 60),
        "jti": new_id(),
    }
