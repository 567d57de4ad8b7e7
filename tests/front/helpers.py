"""Browser-like helpers: read forms from pages, sign in, authorize, answer the consent page."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx

from threelo.core.models import App

from .browser_client import SyncClient

PASSWORD = "correct horse battery staple"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B


@dataclass
class Form:
    method: str = ""
    action: str = ""
    hidden: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def value(self, name: str) -> str:
        return self.hidden[name][0]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("method", ""), a.get("action", "")))
        elif self.forms and tag == "input" and a.get("type") == "hidden":
            self.forms[-1].hidden.setdefault(a["name"], []).append(a.get("value", ""))
        elif self.forms and tag == "input" and a.get("type") == "checkbox":
            self.forms[-1].checkboxes.append(a.get("value", ""))
        elif self.forms and tag == "button" and "name" in a:
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def main_form(html: str) -> Form:
    """The page's own form (not the layout's sign-out form)."""
    return next(f for f in forms(html) if f.action != "/logout")


def login(
    client: SyncClient,
    email: str,
    password: str = PASSWORD,
    *,
    next: str = "/",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    page = client.get("/login", params={"next": next})
    form = main_form(page.text)
    data = {
        "csrf": form.value("csrf"),
        "next": form.value("next"),
        "email": email,
        "password": password,
    }
    return client.post("/login", data=data, headers=headers or {})


def authorize_params(app: App, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "audience": "api.atlassian.com",
        "client_id": app.client_id,
        "scope": "read:jira-work",
        "redirect_uri": app.callback_urls[0],
        "state": "xyz",
        "response_type": "code",
        "prompt": "consent",
    }
    if app.public:
        params["code_challenge"] = CHALLENGE
        params["code_challenge_method"] = "S256"
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def authorize(client: SyncClient, app: App, **overrides: str | None) -> httpx.Response:
    return client.get("/authorize", params=authorize_params(app, **overrides))


def authorize_raw(client: SyncClient, query: str) -> httpx.Response:
    return client.get("/authorize?" + query)


def decide(
    client: SyncClient,
    page: httpx.Response,
    *sites: str,
    decision: str = "allow",
    extra: list[tuple[str, str]] | None = None,
    **headers: str,
) -> httpx.Response:
    form = main_form(page.text)
    data = [
        ("csrf", form.value("csrf")),
        ("request", form.value("request")),
        ("decision", decision),
        *[("site", s) for s in sites],
        *(extra or []),
    ]
    return client.post(
        "/authorize/consent",
        content=urlencode(data),
        headers={"content-type": "application/x-www-form-urlencoded", **headers},
    )


def location(response: httpx.Response) -> tuple[str, dict[str, list[str]]]:
    """The redirect target without its query, and the query's parameters."""
    target = response.headers["location"]
    parts = urlsplit(target)
    return target.split("?", 1)[0], parse_qs(parts.query, keep_blank_values=True)


def query_pairs(response: httpx.Response) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(response.headers["location"]).query, keep_blank_values=True)


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return location(response)[1]["code"][0]


def is_error_page(response: httpx.Response) -> bool:
    return (
        400 <= response.status_code < 500
        and "location" not in response.headers
        and response.headers.get("content-type", "").startswith("text/html")
    )


def snapshot(store: Any) -> tuple[Any, ...]:
    """Grants and codes in the store, to show nothing changed."""
    with store.reader() as tx:
        grants = tuple(
            sorted(
                (g.grant_id, g.scopes, tuple(sorted(g.sites)))
                for a in tx.accounts.list()
                for g in tx.grants.for_account(a.account_id)
            )
        )
    return grants


def stored_code(store: Any, code: str) -> Any:
    from threelo.core.secret_values import digest

    with store.reader() as tx:
        return tx.codes.get(digest(code))


def consent(client: SyncClient, app: App, *sites: str, **overrides: str | None) -> httpx.Response:
    """Run authorize and allow on the consent page; the response redirects to the app."""
    page = authorize(client, app, **overrides)
    assert page.status_code == 200, (page.status_code, page.headers, page.text)
    return decide(client, page, *sites)
