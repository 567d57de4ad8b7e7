"""The scope catalogue: which product each scope belongs to, with its consent-screen text.

Titles and descriptions follow Atlassian's scope tables ("The title and description are
displayed to the user on the consent screen"). ``offline_access`` belongs to no product and
needs no configuration on the app: it only asks for a refresh token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OFFLINE_ACCESS = "offline_access"
IDENTITY = "identity"


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    product: str
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    title: str  # e.g. "Jira API", shown in the developer console
    scopes: tuple[Scope, ...]
    site_product: bool = True  # False for the identity API: its scopes need no site


def _scopes(product: str, *rows: tuple[str, str, str]) -> tuple[Scope, ...]:
    return tuple(Scope(name, product, title, text) for name, title, text in rows)


IDENTITY_API = Product(
    IDENTITY,
    "User Identity API",
    _scopes(
        IDENTITY,
        ("read:me", "View active user profile",
         "View the profile details for the currently logged-in user."),
    ),
    site_product=False,
)

JIRA_API = Product(
    "jira",
    "Jira API",
    _scopes(
        "jira",
        ("read:jira-user", "View user profiles",
         "View user information in Jira that the user has access to, including usernames, "
         "email addresses, and avatars."),
        ("read:jira-work", "View Jira issue data",
         "Read Jira project and issue data, search for issues and objects associated with "
         "issues like attachments and worklogs."),
        ("write:jira-work", "Create and manage issues",
         "Create and edit issues in Jira, post comments as the user, create worklogs, and "
         "delete issues."),
        ("manage:jira-project", "Manage project settings",
         "Create and edit project settings and create new project-level objects (for "
         "example, versions and components)."),
        ("manage:jira-configuration", "Manage Jira global settings",
         "Take Jira administration actions (for example, create projects and custom fields, "
         "view workflows, manage issue link types)."),
        ("manage:jira-webhook", "Manage Jira webhooks",
         "Fetch, register, refresh, and delete dynamically declared Jira webhooks."),
    ),
)

CONFLUENCE_API = Product(
    "confluence",
    "Confluence API",
    _scopes(
        "confluence",
        ("read:confluence-content.all", "Read all content, including content body",
         "Read all content, including the content body (expansions permitted)."),
        ("read:confluence-content.summary", "Read Confluence content summary",
         "Read a summary of the content, which is the content without expansions."),
        ("read:confluence-space.summary", "Read Confluence space summary",
         "Read a summary of space information without expansions."),
        ("write:confluence-content", "Create pages, blogs, comments and questions",
         "Permits the creation of pages, blogs, comments and questions."),
        ("write:confluence-space", "Create, update and delete space information",
         "Create, update and delete space information."),
        ("search:confluence", "Search Confluence content and space summaries",
         "Search Confluence content and space summaries."),
        ("read:confluence-user", "View user information",
         "View user information in Confluence that you have access to, including usernames, "
         "email addresses and profile pictures."),
        ("manage:confluence-configuration", "Manage Confluence global settings",
         "Manage global settings."),
    ),
)

BUILTIN_PRODUCTS: tuple[Product, ...] = (IDENTITY_API, JIRA_API, CONFLUENCE_API)


class ScopeCatalogue:
    """Every scope an app may register, by product."""

    def __init__(self, products: Iterable[Product] = BUILTIN_PRODUCTS) -> None:
        self.products: Mapping[str, Product] = {p.name: p for p in products}
        self._scopes: dict[str, Scope] = {}
        for product in self.products.values():
            for scope in product.scopes:
                self._scopes[scope.name] = scope

    def get(self, name: str) -> Scope | None:
        return self._scopes.get(name)

    def known(self, name: str) -> bool:
        return name == OFFLINE_ACCESS or name in self._scopes

    def unknown(self, names: Iterable[str]) -> list[str]:
        return [n for n in names if not self.known(n)]

    def site_products(self, names: Iterable[str]) -> frozenset[str]:
        """The site products (jira, confluence, ...) the given scopes touch."""
        out: set[str] = set()
        for n in names:
            scope = self._scopes.get(n)
            if scope is not None and self.products[scope.product].site_product:
                out.add(scope.product)
        return frozenset(out)

    def of_product(self, names: Iterable[str], product: str) -> tuple[str, ...]:
        return tuple(n for n in names if (s := self._scopes.get(n)) and s.product == product)

    def describe(self, names: Iterable[str]) -> list[Scope]:
        out: list[Scope] = []
        for n in names:
            scope = self._scopes.get(n)
            if scope is not None:
                out.append(scope)
            elif n == OFFLINE_ACCESS:
                out.append(Scope(n, IDENTITY, "Maintain access to data you have given it access to",
                                 "Lets the app keep access when you are not using it."))
        return out


def parse_scope(raw: str) -> tuple[str, ...]:
    """RFC 6749 §3.3: space-delimited, order-insensitive, duplicates collapsed."""
    seen: dict[str, None] = {}
    for part in raw.split(" "):
        if part:
            seen[part] = None
    return tuple(seen)


def format_scope(scopes: Iterable[str]) -> str:
    return " ".join(scopes)
