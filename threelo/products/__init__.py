"""Built-in sample products served in-process behind the gateway (CONTRACT §5.4).

The gateway hands a built-in product plain values: a :class:`ProductRequest` carrying the
checked path and the caller's identity, and gets a :class:`ProductResponse` back. External
products receive the same identity as a signed assertion instead (see ``web/api/upstream.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from threelo.core.ports import Store


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    email: str
    name: str
    picture: str
    zoneinfo: str
    locale: str
    cloud_id: str
    site_name: str
    client_id: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProductRequest:
    method: str
    path: str  # the checked path below /ex/{product}/{cloud_id}, still percent-encoded
    query: tuple[tuple[str, str], ...]
    body: bytes
    content_type: str
    caller: Caller
    base_url: str  # {api_base}/ex/{product}/{cloud_id}


@dataclass(frozen=True, slots=True)
class ProductResponse:
    status: int
    body: Any = None  # JSON value; None means no body
    headers: dict[str, str] = field(default_factory=dict)


class BuiltinProduct(Protocol):
    def handle(self, request: ProductRequest) -> ProductResponse: ...


def builtin_product(name: str, store: Store) -> BuiltinProduct | None:
    if name == "jira":
        from threelo.products.jira import JiraService, jira_repo_for

        return JiraService(jira_repo_for(store))
    return None
