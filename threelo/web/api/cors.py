"""CORS for the API face, and a helper for the token endpoint (CONTRACT §5.5).

Bearer-token APIs carry no ambient credentials, so any origin may call them, but never with
``Access-Control-Allow-Credentials`` (WHATWG Fetch §3.2.5; CWE-942). Preflights are answered
here without a token and never reach a product. Interactive pages get no CORS headers at all
(RFC 9700 §2.6); the token endpoint answers only origins registered on a public client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

API_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Never internal identity headers (X-Threelo-*, X-User-*, X-Forwarded-*): CO-03.
API_HEADERS = ("Authorization", "Content-Type", "Accept", "Accept-Language",
               "X-Atlassian-Token", "X-Requested-With", "If-Match", "If-None-Match")
EXPOSED_HEADERS = ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                   "X-RateLimit-Reset", "WWW-Authenticate", "X-Failure-Category")
MAX_AGE = 600  # seconds; browsers cap it lower anyway


class CorsPolicy:
    def __init__(
        self,
        origins: Iterable[str] = ("*",),
        *,
        methods: Iterable[str] = API_METHODS,
        headers: Iterable[str] = API_HEADERS,
        exposed: Iterable[str] = EXPOSED_HEADERS,
        max_age: int = MAX_AGE,
    ) -> None:
        listed = tuple(origins)
        self.any_origin = "*" in listed
        self.origins = frozenset(o.rstrip("/") for o in listed if o != "*")
        self.methods = tuple(methods)
        self.headers = tuple(headers)
        self.exposed = tuple(exposed)
        self.max_age = max(0, min(max_age, 86400))

    def allowed_origin(self, origin: str | None) -> str | None:
        if origin is None:
            return None
        if self.any_origin:
            return "*"
        return origin if origin in self.origins else None  # exact match only

    def headers_for(self, origin: str | None) -> dict[str, str]:
        """Headers for an actual (non-preflight) response."""
        out: dict[str, str] = {} if self.any_origin else {"Vary": "Origin"}
        allowed = self.allowed_origin(origin)
        if allowed is not None:
            out["Access-Control-Allow-Origin"] = allowed
            if self.exposed:
                out["Access-Control-Expose-Headers"] = ", ".join(self.exposed)
        return out

    def preflight(self, request: Request) -> Response:
        """204 for any preflight; the browser compares the lists and refuses what is absent."""
        origin = request.headers.get("origin")
        out: dict[str, str] = {} if self.any_origin else {"Vary": "Origin"}
        allowed = self.allowed_origin(origin)
        if allowed is not None:
            out.update({
                "Access-Control-Allow-Origin": allowed,
                "Access-Control-Allow-Methods": ", ".join(self.methods),
                "Access-Control-Allow-Headers": ", ".join(self.headers),
                "Access-Control-Max-Age": str(self.max_age),
            })
        return Response(status_code=204, headers=out)

    def decorate(self, response: Response, origin: str | None) -> Response:
        for name, value in self.headers_for(origin).items():
            if name == "Vary" and "vary" in response.headers:
                response.headers["Vary"] = response.headers["vary"] + ", Origin"
            else:
                response.headers[name] = value
        return response


def is_preflight(request: Request) -> bool:
    return request.method == "OPTIONS" and "access-control-request-method" in request.headers


def origin_of(url: str) -> str | None:
    """``https://app.example/cb`` → ``https://app.example`` (RFC 6454 §4 serialisation)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def token_endpoint_policy(registered_origins: Iterable[str]) -> CorsPolicy:
    """For ``POST /oauth/token`` (and revoke): exact origins of public clients' callback URLs
    (RFC 9700 §2.6 allows CORS there), POST only, never credentials.

    Usage in the token route: ``policy = token_endpoint_policy(origins)``; answer
    ``policy.preflight(request)`` when :func:`is_preflight`, else
    ``policy.decorate(response, request.headers.get("origin"))``."""
    origins = [o for o in registered_origins if o and o != "*"]
    return CorsPolicy(origins, methods=("POST",), headers=("Content-Type", "Accept",
                                                           "Authorization"), exposed=())


def public_client_origins(callback_urls: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The origins of the callback URLs of public clients, keyed by client id."""
    return frozenset(o for urls in callback_urls.values() for u in urls
                     if (o := origin_of(u)) is not None)
