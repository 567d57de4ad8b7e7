"""Helpers that read pages and drive forms, sign-in, consent and the token endpoint."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from threelo.core.models import App

from .client import SyncClient

PASSWORD = "correct horse battery staple"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    def value(self, name: str) -> str:
        return self.fields[name][0]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif self.forms and tag == "input" and a.get("type") == "hidden":
            self.forms[-1].fields.setdefault(a["name"], []).append(a.get("value", ""))


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_for(html: str, action: str, **hidden: str) -> Form:
    """The form posting to ``action`` (with these hidden values, when several do)."""
    for form in forms(html):
        if form.action == action and all(form.fields.get(k) == [v] for k, v in hidden.items()):
            return form
    raise AssertionError(f"no form for {action} {hidden} in the page")


def post_form(
    client: SyncClient,
    page_url: str,
    action: str,
    data: list[tuple[str, str]] | None = None,
    **hidden: str,
) -> httpx.Response:
    """Open ``page_url``, take the form for ``action`` and post it with ``data`` added."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    form = form_for(page.text, action, **hidden)
    pairs = [(k, v) for k, values in form.fields.items() for v in values]
    return client.post(action, content=urlencode(pairs + (data or [])), headers=FORM)


def login(
    client: SyncClient, email: str, password: str = PASSWORD, *, next: str = "/"
) -> httpx.Response:
    page = client.get("/login", params={"next": next})
    form = form_for(page.text, "/login")
    data = {
        "csrf": form.value("csrf"),
        "next": form.value("next"),
        "email": email,
        "password": password,
    }
    return client.post("/login", data=data)


def consent(
    client: SyncClient, app: App, scope: str, *sites: str, redirect_uri: str | None = None
) -> str:
    """Authorize ``app`` as the signed-in user for ``sites``; return the code."""
    page = client.get(
        "/authorize",
        params={
            "audience": "api.atlassian.com",
            "client_id": app.client_id,
            "scope": scope,
            "redirect_uri": redirect_uri or app.callback_urls[0],
            "state": "s1",
            "response_type": "code",
            "prompt": "consent",
        },
    )
    assert page.status_code == 200, page.text
    return decide(client, page, *sites)


def decide(client: SyncClient, page: httpx.Response, *sites: str) -> str:
    form = form_for(page.text, "/authorize/consent")
    data = [
        ("csrf", form.value("csrf")),
        ("request", form.value("request")),
        ("decision", "allow"),
        *[("site", s) for s in sites],
    ]
    answer = client.post("/authorize/consent", content=urlencode(data), headers=FORM)
    assert answer.status_code == 303, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert "code" in query, answer.headers["location"]
    return query["code"][0]


def exchange(client: SyncClient, app: App, secret: str, code: str) -> httpx.Response:
    return client.post(
        "/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": secret,
            "code": code,
            "redirect_uri": app.callback_urls[0],
        },
    )


def refresh(client: SyncClient, app: App, secret: str, token: str) -> httpx.Response:
    return client.post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "client_secret": secret,
            "refresh_token": token,
        },
    )


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
