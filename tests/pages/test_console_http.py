"""The developer console over HTTP: create, reveal once, rotate, callbacks, scopes, switches,
delete; authorisation across developers (DC-04); every change audited."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from threelo.core.platform import Platform
from threelo.core.scopes import BUILTIN_PRODUCTS, Product, Scope, ScopeCatalogue
from threelo.core.secret_values import digest
from threelo.settings import Settings
from threelo.storage import open_store
from threelo.web.app import create_app
from threelo.web.common.ratelimit import MemoryRateLimiter
from threelo.web.context import WebContext

from .client import SyncClient
from .conftest import ISSUER, World, build_world, make_asgi
from .helpers import bearer, consent, exchange, form_for, login, post_form, refresh, text_of

Browser = Callable[[str | None], SyncClient]


def create_in_console(dev: SyncClient, name: str = "Reporter", access: str = "account") -> str:
    """Create an app through the console; return its page URL."""
    answer = post_form(dev, "/console", "/console/apps", [("name", name), ("access", access)])
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("?")[0]


def secret_on(html: str) -> str | None:
    marker = 'id="client-secret">'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("<", 1)[0]


def configure(dev: SyncClient, page: str, callback: str, *scopes: str) -> None:
    answer = post_form(dev, page, f"{page}/callbacks", [("callback_urls", callback)])
    assert answer.status_code == 303, answer.text
    answer = post_form(dev, page, f"{page}/scopes", [("scope", s) for s in scopes])
    assert answer.status_code == 303, answer.text
    answer = post_form(dev, page, f"{page}/distribution", [("distribution", "sharing")])
    assert answer.status_code == 303, answer.text


def client_id_of(page: str) -> str:
    return page.rsplit("/", 1)[1]


def test_the_secret_is_shown_once_after_creation_and_stored_as_a_digest(
    browser_for: Browser, world: World
) -> None:
    dev = browser_for("dev")
    page = create_in_console(dev)
    first = dev.get(page + "?done=created")
    secret = secret_on(first.text)
    assert first.status_code == 200 and secret
    assert "shown only once" in first.text
    assert first.headers["cache-control"] == "no-store"
    again = dev.get(page)
    assert secret not in again.text and secret_on(again.text) is None
    assert "client-secret-hidden" in again.text
    app = world.get_app(client_id_of(page))
    assert app is not None and app.secret_digest == digest(secret)
    assert secret not in repr(app)


def test_the_secret_is_never_stored_in_clear_in_a_database_file(tmp_path: object) -> None:
    path = f"{tmp_path}/clear.db"
    store = open_store(f"sqlite:///{path}")
    try:
        world = build_world(store)
        dev = SyncClient(make_asgi(world), ISSUER)
        try:
            login(dev, world.emails["dev"])
            page = create_in_console(dev)
            secret = secret_on(dev.get(page).text)
            rotated = post_form(dev, page, f"{page}/secret")
            new = secret_on(dev.get(rotated.headers["location"]).text)
        finally:
            dev.close()
    finally:
        store.close()
    assert secret and new and secret != new
    raw = Path(path).read_bytes()
    assert secret.encode() not in raw and new.encode() not in raw
    assert digest(new).encode() in raw


def test_the_reveal_cookie_is_bound_to_the_developer_and_the_app(
    browser_for: Browser, world: World
) -> None:
    dev = browser_for("dev")
    page = create_in_console(dev, "One")
    other = create_in_console(dev, "Two")
    cookie = next(c for c in dev.cookies.jar if c.name == "threelo_reveal" and c.path == page)
    assert cookie.value and cookie.path == page
    # Sealed for (dev, One): replayed for app Two, or by another developer, it reveals nothing.
    elsewhere = browser_for("dev")
    elsewhere.cookies.set("threelo_reveal", cookie.value, path=other)
    assert elsewhere.get(other).status_code == 200
    assert secret_on(elsewhere.get(other).text) is None
    rival = browser_for("rival")
    own = create_in_console(rival, "Rival's")
    rival.cookies.clear()
    login(rival, world.emails["rival"])
    rival.cookies.set("threelo_reveal", cookie.value, path=own)
    assert secret_on(rival.get(own).text) is None
    assert secret_on(dev.get(page).text)  # the rightful page still shows it, once


def test_the_console_lists_only_my_apps(browser_for: Browser, world: World) -> None:
    world.app("Rival tool", "read:me", owner="rival")
    dev = browser_for("dev")
    create_in_console(dev, "Mine")
    listing = dev.get("/console")
    assert "Mine" in listing.text and "Rival tool" not in listing.text


def test_create_refuses_an_empty_name_with_a_message(browser_for: Browser, world: World) -> None:
    dev = browser_for("dev")
    answer = post_form(dev, "/console", "/console/apps", [("name", "  ")])
    assert answer.status_code == 400
    assert "app name must not be empty" in answer.text
    assert world.audit_kinds(account_id=world.accounts["dev"]).count("app.created") == 0


def test_rotation_kills_the_old_secret_at_the_token_endpoint_at_once(
    browser_for: Browser, world: World
) -> None:
    dev, edward = browser_for("dev"), browser_for("edward")
    page = create_in_console(dev)
    old = secret_on(dev.get(page).text)
    configure(dev, page, "https://app.test/cb", "read:me")
    app = world.get_app(client_id_of(page))
    assert app is not None and old
    code_a = consent(edward, app, "read:me")
    code_b = consent(edward, app, "read:me")
    rotated = post_form(dev, page, f"{page}/secret")
    assert rotated.status_code == 303 and rotated.headers["location"].endswith("?done=rotated")
    new = secret_on(dev.get(rotated.headers["location"]).text)
    assert new and new != old
    assert exchange(edward, app, old, code_a).status_code == 401
    assert exchange(edward, app, new, code_b).status_code == 200
    assert "app.secret_rotated" in world.audit_kinds(client_id=app.client_id)


def test_bad_callback_urls_are_refused_with_a_clear_message(
    browser_for: Browser, world: World
) -> None:
    dev = browser_for("dev")
    app, _ = world.app("A", "read:me", callback="https://app.test/cb")
    page = f"/console/apps/{app.client_id}"
    cases = {
        "https://a.test/cb#frag": "must not have a fragment",
        "https://*.a.test/cb": "must not contain wildcards",
        "http://a.test/cb": "must use https",
        "javascript:alert(1)": "scheme 'javascript' is not allowed",
        "https://user:pw@a.test/cb": "must not contain user information",
        "https://a.test/" + "x" * 3000: "at most 2000 characters",
        "": "at least one callback URL",
    }
    for url, message in cases.items():
        answer = post_form(dev, page, f"{page}/callbacks", [("callback_urls", url)])
        assert answer.status_code == 400, url
        assert message in html.unescape(answer.text), (url, text_of(answer.text))
        assert world.get_app(app.client_id) == app
    kept = post_form(
        dev, page, f"{page}/callbacks", [("callback_urls", "https://ok.test/cb\nhttp://a.test/cb")]
    )
    assert "https://ok.test/cb\nhttp://a.test/cb</textarea>" in kept.text  # the input is kept
    good = post_form(
        dev,
        page,
        f"{page}/callbacks",
        [("callback_urls", "https://a.test/cb?x=1\r\n\r\nhttp://localhost:3000/cb\n")],
    )
    assert good.status_code == 303
    stored = world.get_app(app.client_id)
    assert stored is not None
    assert stored.callback_urls == ("https://a.test/cb?x=1", "http://localhost:3000/cb")
    assert "app.callback_urls_changed" in world.audit_kinds(client_id=app.client_id)


def test_the_page_offers_apis_by_product_and_a_ready_authorization_url(
    browser_for: Browser, world: World
) -> None:
    dev = browser_for("dev")
    page = create_in_console(dev)
    configure(dev, page, "https://app.test/cb", "read:me", "read:jira-work")
    body = dev.get(page).text
    for title in ("User Identity API", "Jira API", "Confluence API", "View active user profile"):
        assert title in body
    assert 'value="read:me" checked' in body and 'value="write:jira-work">' in body
    url = body.split('id="authorization-url"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    client_id = client_id_of(page)
    assert url == (
        f"{ISSUER}/authorize?audience=api.atlassian.com&amp;client_id={client_id}"
        "&amp;scope=read%3Ame%20read%3Ajira-work%20offline_access"
        "&amp;redirect_uri=https%3A%2F%2Fapp.test%2Fcb&amp;state=YOUR_USER_BOUND_VALUE"
        "&amp;response_type=code&amp;prompt=consent"
    )


def test_changing_scopes_makes_users_consent_again(browser_for: Browser, world: World) -> None:
    dev, edward = browser_for("dev"), browser_for("edward")
    app, _secret = world.app("A", "read:me read:jira-work")
    consent(edward, app, "read:me")
    remembered = {
        "audience": "api.atlassian.com",
        "client_id": app.client_id,
        "scope": "read:me",
        "redirect_uri": app.callback_urls[0],
        "state": "s",
        "response_type": "code",
    }
    assert edward.get("/authorize", params=remembered).status_code == 303  # no page
    page = f"/console/apps/{app.client_id}"
    answer = post_form(dev, page, f"{page}/scopes", [("scope", "read:me")])
    assert answer.status_code == 303
    stored = world.get_app(app.client_id)
    assert stored is not None and stored.scopes == ("read:me",)
    assert stored.scopes_version == app.scopes_version + 1
    again = edward.get("/authorize", params=remembered)
    assert again.status_code == 200 and form_for(again.text, "/authorize/consent")
    assert "app.scopes_changed" in world.audit_kinds(client_id=app.client_id)


def test_an_unknown_scope_is_refused(browser_for: Browser, world: World) -> None:
    dev = browser_for("dev")
    app, _ = world.app("A", "read:me")
    page = f"/console/apps/{app.client_id}"
    answer = post_form(dev, page, f"{page}/scopes", [("scope", "read:me"), ("scope", "admin:all")])
    assert answer.status_code == 400 and "unknown scope admin:all" in answer.text
    assert world.get_app(app.client_id) == app


def test_switches_for_client_type_access_type_and_distribution(
    browser_for: Browser, world: World
) -> None:
    dev = browser_for("dev")
    app, _ = world.app("A", "read:me", distribution="private")
    page = f"/console/apps/{app.client_id}"
    assert (
        post_form(dev, page, f"{page}/client-type", [("client_type", "public")]).status_code == 303
    )
    assert "Public client: it has no secret" in dev.get(page).text
    back = post_form(dev, page, f"{page}/client-type", [("client_type", "confidential")])
    assert secret_on(dev.get(back.headers["location"]).text)  # a new secret, shown once
    assert post_form(dev, page, f"{page}/grant-type", [("access", "resource")]).status_code == 303
    assert (
        post_form(dev, page, f"{page}/distribution", [("distribution", "sharing")]).status_code
        == 303
    )
    assert (
        post_form(dev, page, f"{page}/distribution", [("distribution", "world")]).status_code == 400
    )
    stored = world.get_app(app.client_id)
    assert stored is not None
    assert (stored.public, stored.resource_level, stored.distribution.value) == (
        False,
        True,
        "sharing",
    )
    kinds = world.audit_kinds(client_id=app.client_id)
    assert kinds.count("app.client_type_changed") == 2
    assert {"app.grant_type_changed", "app.distribution_changed"} <= set(kinds)


def test_private_distribution_lets_only_the_owner_consent(
    browser_for: Browser, world: World
) -> None:
    dev, edward = browser_for("dev"), browser_for("edward")
    app, _ = world.app("A", "read:me", distribution="private")
    params = {
        "audience": "api.atlassian.com",
        "client_id": app.client_id,
        "scope": "read:me",
        "redirect_uri": app.callback_urls[0],
        "state": "s",
        "response_type": "code",
        "prompt": "consent",
    }
    assert edward.get("/authorize", params=params).status_code != 200
    assert dev.get("/authorize", params=params).status_code == 200
    page = f"/console/apps/{app.client_id}"
    post_form(dev, page, f"{page}/distribution", [("distribution", "sharing")])
    assert edward.get("/authorize", params=params).status_code == 200


def test_deleting_an_app_kills_its_tokens(browser_for: Browser, world: World) -> None:
    dev, edward = browser_for("dev"), browser_for("edward")
    app, secret = world.app("A", "read:me")
    tokens = exchange(edward, app, secret, consent(edward, app, "read:me offline_access")).json()
    pending = consent(edward, app, "read:me")
    assert edward.get("/me", headers=bearer(tokens["access_token"])).status_code == 200
    page = f"/console/apps/{app.client_id}"
    confirm = dev.get(f"{page}/delete")
    assert confirm.status_code == 200 and "revoked at once" in confirm.text
    answer = post_form(dev, f"{page}/delete", f"{page}/delete")
    assert answer.status_code == 303 and answer.headers["location"] == "/console?done=deleted"
    assert world.get_app(app.client_id) is None
    assert edward.get("/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert refresh(edward, app, secret, tokens["refresh_token"]).status_code == 401
    assert exchange(edward, app, secret, pending).status_code == 401
    assert dev.get(page).status_code == 404
    assert "app.deleted" in world.audit_kinds(client_id=app.client_id)


def test_another_developer_gets_404_for_every_page_and_action(
    browser_for: Browser, world: World
) -> None:
    app, secret = world.app("A", "read:me")
    rival = browser_for("rival")
    page = f"/console/apps/{app.client_id}"
    missing = rival.get("/console/apps/no-such-app")
    for url in (page, f"{page}/delete"):
        answer = rival.get(url)
        assert answer.status_code == 404 and answer.text == missing.text
        assert secret not in answer.text and app.client_id not in answer.text
    # Even with a form token minted for this app in the rival's own session, the app stays put.
    from threelo.web.common.csrf import derive_token

    with world.store.reader() as tx:
        session = tx.sessions.get(digest(rival.cookies.get("threelo_session") or ""))
    assert session is not None
    for action, data in (
        ("secret", []),
        ("callbacks", [("callback_urls", "https://evil.test/")]),
        ("scopes", [("scope", "read:jira-work")]),
        ("client-type", [("client_type", "public")]),
        ("grant-type", [("access", "resource")]),
        ("distribution", [("distribution", "private")]),
        ("delete", []),
    ):
        token = derive_token(session, f"console.{action}", app.client_id)
        answer = rival.post(f"{page}/{action}", data={"csrf": token, **dict(data)})
        assert answer.status_code == 404, action
    assert world.get_app(app.client_id) == app
    assert "app.access_denied" in world.audit_kinds(client_id=app.client_id)


def test_an_app_named_like_a_script_renders_as_text(browser_for: Browser, world: World) -> None:
    dev, edward = browser_for("dev"), browser_for("edward")
    name = "<script>alert(1)</script>"
    app, _ = world.app(name, "read:jira-work")
    consent(edward, app, "read:jira-work", world.sites["S1"].cloud_id)
    alice = browser_for("alice")
    pages = [
        (dev, "/console"),
        (dev, f"/console/apps/{app.client_id}"),
        (dev, f"/console/apps/{app.client_id}/delete"),
        (edward, "/manage-profile/apps"),
        (alice, f"/admin/sites/{world.sites['S1'].cloud_id}"),
    ]
    for client, url in pages:
        body = client.get(url).text
        assert name not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
        assert "<script" not in body, url


def test_a_configured_product_is_offered_with_its_scopes(world: World) -> None:
    extra = Product(
        "bitbucket",
        "Bitbucket API",
        (Scope("read:bb-repo", "bitbucket", "Read repositories", "Read repos."),),
    )
    platform = Platform(
        store=world.store, clock=world.clock, catalogue=ScopeCatalogue((*BUILTIN_PRODUCTS, extra))
    )
    settings = Settings(database_url="memory://", issuer=ISSUER, secret_key="q" * 40)
    ctx = WebContext(platform=platform, settings=settings, limiter=MemoryRateLimiter())
    dev = SyncClient(create_app(context=ctx), ISSUER)
    try:
        login(dev, world.emails["dev"])
        page = create_in_console(dev)
        body = dev.get(page).text
        assert "Bitbucket API" in body and "Read repositories" in body
        answer = post_form(dev, page, f"{page}/scopes", [("scope", "read:bb-repo")])
        assert answer.status_code == 303
        assert world.get_app(client_id_of(page)).scopes == ("read:bb-repo",)  # type: ignore[union-attr]
    finally:
        dev.close()
