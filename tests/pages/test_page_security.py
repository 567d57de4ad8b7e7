"""What every people-facing page shares: sign-in required, anti-CSRF on every form (DC-03),
anti-framing and referrer headers (UI-06), no CORS (CO-02), no state change on GET."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

import httpx
import pytest

from threelo.core.models import App

from .client import SyncClient
from .conftest import World
from .helpers import FORM, consent, form_for

Browser = Callable[[str | None], SyncClient]


def snapshot(world: World) -> tuple[object, ...]:
    with world.store.reader() as tx:
        apps = tuple(tx.apps.list_by_owner(world.accounts["dev"]))
        grants = tuple(g for a in tx.accounts.list() for g in tx.grants.for_account(a.account_id))
        blocks = tuple(tx.app_site_blocks.blocked_sites(a.client_id) for a in apps)
    return apps, grants, blocks


def pages(world: World, app: App) -> list[str]:
    return [
        "/console",
        f"/console/apps/{app.client_id}",
        f"/console/apps/{app.client_id}/delete",
        "/manage-profile/apps",
        "/admin/sites",
        f"/admin/sites/{world.sites['S1'].cloud_id}",
    ]


def forms_of(world: World, app: App) -> list[tuple[str, str, str, dict[str, str]]]:
    """(who, page, action, fields besides csrf) for every form of these pages."""
    c, s1 = f"/console/apps/{app.client_id}", f"/admin/sites/{world.sites['S1'].cloud_id}"
    return [
        ("dev", "/console", "/console/apps", {"name": "Sneaky", "access": "account"}),
        ("dev", c, f"{c}/secret", {}),
        ("dev", c, f"{c}/callbacks", {"callback_urls": "https://evil.test/cb"}),
        ("dev", c, f"{c}/scopes", {"scope": "write:jira-work"}),
        ("dev", c, f"{c}/client-type", {"client_type": "public"}),
        ("dev", c, f"{c}/grant-type", {"access": "resource"}),
        ("dev", c, f"{c}/distribution", {"distribution": "private"}),
        ("dev", f"{c}/delete", f"{c}/delete", {}),
        ("edward", "/manage-profile/apps", f"/manage-profile/apps/{app.client_id}/revoke", {}),
        (
            "edward",
            "/manage-profile/apps",
            f"/manage-profile/apps/{app.client_id}/remove-site",
            {"site": world.sites["S1"].cloud_id},
        ),
        (
            "alice",
            s1,
            f"{s1}/revoke-user",
            {"client_id": app.client_id, "account_id": world.accounts["edward"]},
        ),
        ("alice", s1, f"{s1}/remove-app", {"client_id": app.client_id}),
    ]


def send(
    client: SyncClient, action: str, fields: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return client.post(action, content=urlencode(fields), headers={**FORM, **(headers or {})})


@pytest.fixture
def app(browser_for: Browser, world: World) -> App:
    made, _ = world.app("A", "read:jira-work")
    consent(browser_for("edward"), made, "read:jira-work", world.sites["S1"].cloud_id)
    return made


def test_every_page_needs_a_signed_in_user(browser_for: Browser, world: World, app: App) -> None:
    anonymous = browser_for(None)
    for url in pages(world, app):
        answer = anonymous.get(url)
        assert answer.status_code == 303, url
        assert answer.headers["location"] == "/login?next=" + quote(url, safe="")


def test_a_signed_out_post_changes_nothing_and_goes_to_sign_in(
    browser_for: Browser, world: World, app: App
) -> None:
    anonymous = browser_for(None)
    before = snapshot(world)
    for _, page, action, fields in forms_of(world, app):
        answer = send(anonymous, action, fields)
        assert answer.status_code == 303, action
        back_to = page.removesuffix("/delete")  # after sign-in, the app's page
        assert answer.headers["location"] == "/login?next=" + quote(back_to, safe="")
    assert snapshot(world) == before


def test_every_page_sends_the_interactive_page_headers_and_no_cors(
    browser_for: Browser, world: World, app: App
) -> None:
    owners = {"/console": "dev", "/manage": "edward", "/admin": "alice"}
    for url in pages(world, app):
        who = next(v for k, v in owners.items() if url.startswith(k))
        answer = browser_for(who).get(url, headers={"origin": "https://evil.test"})
        assert answer.status_code == 200, url
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")], url
        assert "<script" not in answer.text and " style=" not in answer.text
        preflight = browser_for(None).options(
            url, headers={"origin": "https://evil.test", "access-control-request-method": "POST"}
        )
        assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]


def test_forms_without_their_token_are_refused_and_change_nothing(
    browser_for: Browser, world: World, app: App
) -> None:
    before = snapshot(world)
    audit = world.audit_kinds()
    for who, page, action, fields in forms_of(world, app):
        client = browser_for(who)
        real = form_for(
            client.get(page).text, action, **({"site": fields["site"]} if "site" in fields else {})
        )
        own = real.value("csrf")
        other_form = form_for(client.get("/console").text, "/console/apps").value("csrf")
        foreign_session = form_for(
            browser_for(who).get(page).text,
            action,
            **({"site": fields["site"]} if "site" in fields else {}),
        ).value("csrf")
        attempts = [
            ({**fields}, {}),  # no token
            ({**fields, "csrf": ""}, {}),
            ({**fields, "csrf": foreign_session}, {}),  # another session's token
            ({**fields, "csrf": other_form if action != "/console/apps" else own[::-1]}, {}),
            ({**fields, "csrf": own}, {"origin": "https://evil.test"}),  # cross-site post
            ({**fields, "csrf": own}, {"sec-fetch-site": "cross-site"}),
        ]
        for data, headers in attempts:
            answer = send(client, action, data, headers)
            assert answer.status_code == 403, (action, data, headers)
        twice = client.post(action, content=f"csrf={own}&csrf={own}", headers=FORM)
        assert twice.status_code == 403, action
    assert snapshot(world) == before
    changes = [k for k in world.audit_kinds() if not k.startswith(("signin.", "session."))]
    assert changes == [k for k in audit if not k.startswith(("signin.", "session."))]


def test_get_never_changes_state(browser_for: Browser, world: World, app: App) -> None:
    before = snapshot(world)
    for who, _, action, fields in forms_of(world, app):
        answer = browser_for(who).get(action, params=fields)
        assert answer.status_code in (200, 405), action  # /delete answers its confirmation page
    assert snapshot(world) == before


def test_the_forms_post_to_our_own_paths_with_post(
    browser_for: Browser, world: World, app: App
) -> None:
    html = browser_for("dev").get(f"/console/apps/{app.client_id}").text
    assert 'method="get"' not in html.lower()
    assert html.count('method="post"') == html.count('name="csrf"')
