"""Products behind the gateway, registered by configuration (CONTRACT §5.3).

The products file (``THREELO_PRODUCTS_FILE``) is JSON::

    {"products": [
      {"name": "confluence",                    # lower case; the /ex/{name}/... path segment
       "title": "Confluence API",               # shown in the developer console
       "upstream": "http://127.0.0.1:9100",     # base URL, or "builtin"
       "timeout": 10,                           # seconds, optional (default 10, at most 120)
       "scopes": [{"name": "read:confluence-content.all", "title": "...",
                   "description": "..."}],     # optional for a product the catalogue knows
       "routes": [{"method": "GET", "path": "/wiki/rest/api/space/**",
                   "scopes": ["read:confluence-space.summary"]}]}
    ]}

A configured product replaces a built-in one of the same name. Without a file the gateway
serves the built-in ``jira`` sample. Route patterns are described in
:class:`threelo.core.gateway.RouteRule`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from threelo.core.gateway import BUILTIN, ProductRegistry, ProductService, RouteRule
from threelo.core.scopes import BUILTIN_PRODUCTS, JIRA_API, Product, Scope, ScopeCatalogue

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "*"})


class ProductConfigError(ValueError):
    """The products file cannot be used; the message names the place."""


def jira_rules() -> tuple[RouteRule, ...]:
    v = "/rest/api/{version:2|3}"
    return (
        RouteRule("GET", f"{v}/myself", ("read:jira-user",)),
        RouteRule("GET", f"{v}/project", ("read:jira-work",)),
        RouteRule("GET", f"{v}/project/search", ("read:jira-work",)),
        RouteRule("GET", f"{v}/issue/{{issue}}", ("read:jira-work",)),
        RouteRule("GET", f"{v}/search", ("read:jira-work",)),
        RouteRule("POST", f"{v}/issue", ("write:jira-work",)),
    )


def default_services() -> tuple[ProductService, ...]:
    return (ProductService(JIRA_API, BUILTIN, jira_rules()),)


def load_products(path: str | Path) -> tuple[ProductService, ...]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProductConfigError(f"products file {path}: {exc}") from None
    entries = raw.get("products") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise ProductConfigError(f'products file {path}: expected {{"products": [...]}}')
    return tuple(_service(entry, f"products[{i}]") for i, entry in enumerate(entries))


def _service(entry: Any, where: str) -> ProductService:
    if not isinstance(entry, dict):
        raise ProductConfigError(f"{where}: expected an object")
    name = _text(entry, "name", where)
    upstream = _text(entry, "upstream", where)
    if upstream != BUILTIN and not upstream.startswith(("http://", "https://")):
        raise ProductConfigError(f'{where}.upstream: an http(s) URL or "builtin"')
    timeout = entry.get("timeout", 10)
    if not isinstance(timeout, int | float) or not 0 < timeout <= 120:
        raise ProductConfigError(f"{where}.timeout: seconds, more than 0 and at most 120")
    scopes = tuple(_scope(s, name, f"{where}.scopes[{i}]")
                   for i, s in enumerate(entry.get("scopes") or ()))
    known = {p.name: p for p in BUILTIN_PRODUCTS}.get(name)
    if not scopes and known is None:
        raise ProductConfigError(f"{where}.scopes: required for a new product")
    product = Product(name, str(entry.get("title") or (known.title if known else name)),
                      scopes or (known.scopes if known else ()))
    rules = tuple(_rule(r, f"{where}.routes[{i}]") for i, r in enumerate(entry.get("routes", ())))
    _check_rule_scopes(product, rules, where)
    return ProductService(product, upstream.rstrip("/"), rules, float(timeout))


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProductConfigError(f"{where}.{key}: a non-empty string")
    return value.strip()


def _scope(entry: Any, product: str, where: str) -> Scope:
    if not isinstance(entry, dict):
        raise ProductConfigError(f"{where}: expected an object")
    return Scope(_text(entry, "name", where), product, _text(entry, "title", where),
                 str(entry.get("description", "")))


def _rule(entry: Any, where: str) -> RouteRule:
    if not isinstance(entry, dict):
        raise ProductConfigError(f"{where}: expected an object")
    method = _text(entry, "method", where).upper()
    path = _text(entry, "path", where)
    scopes = entry.get("scopes")
    if method not in _METHODS or not path.startswith("/"):
        raise ProductConfigError(f"{where}: method one of {sorted(_METHODS)}, path from /")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise ProductConfigError(f"{where}.scopes: a non-empty list of scope names")
    return RouteRule(method, path, tuple(scopes))


def _check_rule_scopes(product: Product, rules: Iterable[RouteRule], where: str) -> None:
    names = {s.name for s in product.scopes}
    for rule in rules:
        unknown = [s for s in rule.scopes if s not in names]
        if unknown:
            raise ProductConfigError(f"{where}: route {rule.pattern} needs unknown {unknown}")


def merge(configured: Iterable[ProductService]) -> tuple[ProductService, ...]:
    by_name = {s.name: s for s in default_services()}
    by_name.update({s.name: s for s in configured})
    return tuple(by_name.values())


def registry_for(products_file: str = "") -> ProductRegistry:
    return ProductRegistry(merge(load_products(products_file) if products_file else ()))


def catalogue_for(registry: ProductRegistry) -> ScopeCatalogue:
    """The built-in scope catalogue with every configured product added or replaced."""
    products = {p.name: p for p in BUILTIN_PRODUCTS}
    products.update({s.name: s.product for s in registry.services.values()})
    return ScopeCatalogue(products.values())


def catalogue_from_settings(products_file: str) -> ScopeCatalogue:
    """What ``threelo.web.app.build_context`` passes as ``Platform(catalogue=...)``."""
    return catalogue_for(registry_for(products_file))
