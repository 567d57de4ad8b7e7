"""The pages in a real browser (Debian Chromium through Playwright) against a real ``uvicorn``
server on 127.0.0.1, with an attacker page on 127.0.0.2 (cross-site to it).

The whole journey: a developer creates an app in the console, adds the User Identity API,
sets a callback and copies the authorization URL; a second user signs in and consents; the code
is exchanged with the secret the console revealed; the user revokes the app and the token dies;
a site admin removes an app from a site and the gateway refuses that site. Screenshots of the
console, the consent page (desktop and phone) and the connected-apps page go to
``docs/screenshots``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.processes import free_port
from threelo.storage import open_store

from .conftest import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"


@dataclass
class Server:
    url: str
    world: World
    database_url: str


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            httpx.get(f"{url}/login", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@pytest.fixture
def server(tmp_path: Path, chromium: str) -> Iterator[Server]:
    """A uvicorn process over a SQLite file seeded with the test's directory; stopped by PID."""
    database_url = f"sqlite:///{tmp_path / 'browser.db'}"
    store = open_store(database_url)
    world = build_world(store)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        THREELO_DATABASE_URL=database_url,
        THREELO_ISSUER=url,
        THREELO_SECRET_KEY="b" * 40,
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "threelo.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--lifespan",
            "off",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_up(url, process)
        yield Server(url, world, database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr:
            process.stderr.close()
        store.close()


@pytest.fixture
def evil_site() -> Iterator[tuple[str, dict[str, str]]]:
    """A page server on 127.0.0.2 (another site than 127.0.0.1); tests put pages in the dict."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "not found").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.2", free_port("127.0.0.2")), Handler)
    thread = Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.2:{httpd.server_address[1]}", pages
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def sign_in(page: Any, email: str) -> None:
    """Fill the login form the page was sent to, and wait to be sent on."""
    assert "/login" in page.url, page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def no_dialogs(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def test_developer_to_user_to_revocation_in_a_real_browser(browser: Any, server: Server) -> None:
    world, base = server.world, server.url
    callback = f"{base}/app/callback"

    developer = browser.new_context(viewport=DESKTOP)
    dev = developer.new_page()
    dialogs = no_dialogs(dev)
    dev.goto(f"{base}/console")
    sign_in(dev, world.emails["dev"])
    assert urlsplit(dev.url).path == "/console"

    # UI-09: a name made of markup is shown as text and runs nothing.
    dev.fill("#app-name", "<img src=x onerror=alert(1)><script>alert(2)</script>")
    with dev.expect_navigation():
        dev.click("#create-app button[type=submit]")
    assert "<img src=x onerror=alert(1)>" in dev.inner_text("h1")
    dev.goto(f"{base}/console")
    assert dev.locator("main img").count() == 0 and dev.locator("main script").count() == 0

    dev.fill("#app-name", "Team board")
    with dev.expect_navigation():
        dev.click("#create-app button[type=submit]")
    secret = dev.inner_text("#client-secret").strip()
    client_id = dev.inner_text("#client-id").strip()
    assert len(secret) >= 43 and "shown only this once" in dev.content()

    dev.fill("#callback-urls", callback)
    with dev.expect_navigation():
        dev.click("#callbacks button[type=submit]")
    assert "Callback URLs saved." in dev.inner_text("#done")
    dev.check("#api-identity input[value='read:me']")
    with dev.expect_navigation():
        dev.click("#scopes button[type=submit]")
    dev.check("#distribution input[value='sharing']")
    with dev.expect_navigation():
        dev.click("#distribution button[type=submit]")
    assert dev.locator("#client-secret").count() == 0  # never shown again
    authorization_url = dev.input_value("#authorization-url")
    assert authorization_url.startswith(f"{base}/authorize?audience=api.atlassian.com&")
    assert "scope=read%3Ame%20offline_access" in authorization_url
    dev.set_viewport_size(DESKTOP)
    shot(dev, "console.png")
    assert dialogs == []

    # A second user follows the URL, signs in and consents.
    user = browser.new_context(viewport=DESKTOP)
    edward = user.new_page()
    edward.goto(authorization_url.replace("YOUR_USER_BOUND_VALUE", "st-123"))
    sign_in(edward, world.emails["edward"])
    assert "wants to access your account" in edward.content()
    shot(edward, "consent.png")
    phone = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, storage_state=user.storage_state()
    )
    small = phone.new_page()
    small.goto(authorization_url.replace("YOUR_USER_BOUND_VALUE", "st-phone"))
    shot(small, "consent-phone.png")
    phone.close()
    with edward.expect_navigation():
        edward.click("button[name=decision][value=allow]")
    query = parse_qs(urlsplit(edward.url).query)
    assert edward.url.startswith(callback) and query["state"] == ["st-123"]

    with httpx.Client(base_url=base, timeout=10) as app_server:
        answer = app_server.post(
            "/oauth/token",
            json={
                "grant_type": "authorization_code",
                "client_id": client_id,
                "client_secret": secret,
                "code": query["code"][0],
                "redirect_uri": callback,
            },
        )
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
        auth = {"authorization": f"Bearer {tokens['access_token']}"}
        me = app_server.get("/me", headers=auth)
        assert me.status_code == 200 and me.json()["email"] == world.emails["edward"]

        edward.goto(f"{base}/manage-profile/apps")
        assert "Team" in edward.inner_text("main")
        shot(edward, "connected-apps.png")
        with edward.expect_navigation():
            edward.click(f"form[action='/manage-profile/apps/{client_id}/revoke'] button")
        assert "Access revoked" in edward.inner_text("#done")
        assert app_server.get("/me", headers=auth).status_code == 401
        again = app_server.post(
            "/oauth/token",
            json={
                "grant_type": "refresh_token",
                "client_id": client_id,
                "client_secret": secret,
                "refresh_token": tokens["refresh_token"],
            },
        )
        assert again.status_code == 403
    user.close()
    developer.close()


def test_a_site_admin_removes_an_app_from_a_site_in_a_real_browser(
    browser: Any, server: Server
) -> None:
    world, base = server.world, server.url
    callback = f"{base}/app/callback"
    app, secret = world.app("Sprint tracker", "read:jira-work", callback=callback)
    s1, s2 = world.sites["S1"], world.sites["S2"]

    user = browser.new_context(viewport=DESKTOP)
    edward = user.new_page()
    edward.goto(
        f"{base}/authorize?audience=api.atlassian.com&client_id={app.client_id}"
        f"&scope=read%3Ajira-work&redirect_uri={callback}&state=s&response_type=code"
        "&prompt=consent"
    )
    sign_in(edward, world.emails["edward"])
    edward.check(f"input[name=site][value='{s1.cloud_id}']")
    edward.check(f"input[name=site][value='{s2.cloud_id}']")
    with edward.expect_navigation():
        edward.click("button[name=decision][value=allow]")
    code = parse_qs(urlsplit(edward.url).query)["code"][0]

    with httpx.Client(base_url=base, timeout=10) as app_server:
        tokens = app_server.post(
            "/oauth/token",
            json={
                "grant_type": "authorization_code",
                "client_id": app.client_id,
                "client_secret": secret,
                "code": code,
                "redirect_uri": callback,
            },
        ).json()
        auth = {"authorization": f"Bearer {tokens['access_token']}"}

        def project(site: str) -> int:
            return app_server.get(f"/ex/jira/{site}/rest/api/3/project", headers=auth).status_code

        assert (project(s1.cloud_id), project(s2.cloud_id)) == (200, 200)

        admin = browser.new_context(viewport=DESKTOP)
        alice = admin.new_page()
        alice.goto(f"{base}/admin/sites/{s1.cloud_id}")
        sign_in(alice, world.emails["alice"])
        assert "Sprint tracker" in alice.inner_text("main") and "Edward" in alice.inner_text("main")
        shot(alice, "site-admin.png")
        with alice.expect_navigation():
            alice.click(f"form[action$='/remove-app']:has(input[value='{app.client_id}']) button")
        assert "removed from this site" in alice.inner_text("#done")
        assert (project(s1.cloud_id), project(s2.cloud_id)) == (404, 200)

        # Someone who is no admin of the site gets nothing.
        outsider = edward.context.new_page()
        answer = outsider.goto(f"{base}/admin/sites/{s1.cloud_id}")
        assert answer is not None and answer.status == 404
        admin.close()
    user.close()


def test_the_consent_page_cannot_be_framed_by_another_site(
    browser: Any, server: Server, evil_site: tuple[str, dict[str, str]]
) -> None:
    world, base = server.world, server.url
    app, _ = world.app("Framed", "read:me", callback=f"{base}/app/callback")
    evil, pages = evil_site
    target = (
        f"{base}/authorize?audience=api.atlassian.com&client_id={app.client_id}"
        f"&scope=read%3Ame&redirect_uri={base}/app/callback&state=s&response_type=code"
        "&prompt=consent"
    )
    pages["/frame"] = (
        "<!doctype html><title>Win a prize</title><button id=decoy>Claim</button>"
        f'<iframe id=victim src="{target}" width=800 height=600></iframe>'
        f'<iframe id=console src="{base}/console" width=800 height=600></iframe>'
    )
    context = browser.new_context(viewport=DESKTOP)
    victim = context.new_page()
    victim.goto(target)
    sign_in(victim, world.emails["edward"])
    assert "wants to access your account" in victim.content()  # signed in, consent shown

    messages: list[str] = []
    victim.on("console", lambda message: messages.append(message.text))
    victim.goto(f"{evil}/frame")
    victim.wait_for_timeout(1500)
    framed = [f for f in victim.frames if f is not victim.main_frame]
    assert len(framed) == 2
    for frame in framed:
        refused = frame.url.startswith("chrome-error://")
        reachable = 0 if refused else frame.locator("form").count()
        assert refused or reachable == 0, (frame.url, messages)
    victim.click("#decoy")
    with world.store.reader() as tx:
        assert tx.grants.find(app.client_id, world.accounts["edward"]) is None
    context.close()
