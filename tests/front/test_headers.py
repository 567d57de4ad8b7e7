"""Security headers on every interactive page (catalogue UI-06, PH-02, PH-03; CONTRACT §4.3)."""

from __future__ import annotations

import re

import httpx
import pytest

from .browser_client import SyncClient
from .conftest import World
from .helpers import authorize, forms, login


def assert_interactive_headers(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    for directive in (
        "frame-ancestors 'none'",
        "default-src 'self'",
        "script-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert not [h for h in headers if h.lower().startswith("access-control-")]


def only_same_origin_resources(html: str) -> None:
    for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
        assert url.startswith("/") and not url.startswith("//"), url
    assert "<script" not in html and "style=" not in html and "<style" not in html


def test_login_page(client: SyncClient) -> None:
    page = client.get("/login", headers={"origin": "https://evil.test"})
    assert_interactive_headers(page)
    only_same_origin_resources(page.text)


def test_failed_login_and_throttle_pages(client: SyncClient, world: World) -> None:
    assert_interactive_headers(login(client, world.emails["edward"], "wrong password guess"))


def test_authorize_login_redirect_leaks_no_referrer(client: SyncClient, world: World) -> None:
    response = authorize(client, world.apps["A"])
    assert response.status_code == 303
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


def test_consent_page(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"], state="secret-state")
    assert_interactive_headers(page)
    only_same_origin_resources(page.text)
    assert "form-action 'self' https://app-a.test;" in page.headers["content-security-policy"]


@pytest.mark.parametrize("query", ["client_id=nope", ""])
def test_error_page(edward: SyncClient, query: str) -> None:
    page = edward.get("/authorize?" + query)
    assert page.status_code == 400
    assert_interactive_headers(page)
    only_same_origin_resources(page.text)


def test_authorization_responses_are_not_cached(edward: SyncClient, world: World) -> None:
    from .helpers import consent

    response = consent(edward, world.apps["A"], world.sites["S1"].cloud_id)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_logout_and_consent_errors(edward: SyncClient, world: World) -> None:
    page = edward.get("/")
    assert_interactive_headers(page)
    assert_interactive_headers(edward.get("/authorize/consent"))
    token = next(f for f in forms(page.text) if f.action == "/logout").value("csrf")
    response = edward.post("/logout", data={"csrf": token})
    assert response.status_code == 303
    assert_interactive_headers(edward.post("/logout", data={"csrf": "x"}))


def test_the_stylesheet_is_served_from_our_origin(client: SyncClient) -> None:
    response = client.get("/static/threelo.css")
    assert response.status_code == 200 and "text/css" in response.headers["content-type"]
    assert "url(" not in response.text and "@import" not in response.text
