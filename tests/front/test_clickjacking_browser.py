"""UI-07: a signed-in user's consent page can't be framed by another site (real Chromium).

threelo runs under uvicorn on 127.0.0.1; the attacker's page is served from 127.0.0.2 (another
site: nothing leaves the loopback interface).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn

from tests.processes import free_port
from threelo.storage import MemoryStore
from threelo.web.server import HTTP_PROTOCOL

from .conftest import World, build_world, make_app
from .helpers import PASSWORD, authorize_params

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def in_chromium(chromium: str, scenario: Callable[[Any], None]) -> None:
    """Run ``scenario(browser)`` with a Chromium of its own on a thread of its own.

    Playwright's sync API keeps an event loop running on its thread while open; a private
    thread keeps it apart from any loop other tests (or a session-wide browser) run.
    """
    errors: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                try:
                    scenario(browser)
                finally:
                    browser.close()
        except BaseException as error:  # re-raised on the test's thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the browser scenario did not finish"
    if errors:
        raise errors[0]


@pytest.fixture
def threelo_server() -> Iterator[tuple[str, World]]:
    world = build_world(MemoryStore())
    port = free_port("127.0.0.1")
    origin = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(world, issuer=origin), host="127.0.0.1", port=port, log_level="warning",
            http=HTTP_PROTOCOL,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield origin, world
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def attacker_site() -> Iterator[tuple[str, dict[str, str]]]:
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port("127.0.0.2")
    httpd = ThreadingHTTPServer(("127.0.0.2", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.2:{port}", pages
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_ui07_the_consent_page_does_not_render_in_a_foreign_frame(
    chromium: str, threelo_server: tuple[str, World], attacker_site: tuple[str, dict[str, str]]
) -> None:
    in_chromium(chromium, lambda browser: framed(browser, threelo_server, attacker_site))


def framed(
    browser: Any, threelo_server: tuple[str, World], attacker_site: tuple[str, dict[str, str]]
) -> None:
    origin, world = threelo_server
    evil, pages = attacker_site
    authorize_url = f"{origin}/authorize?{urlencode(authorize_params(world.apps['A']))}"
    pages["/"] = (
        "<!doctype html><button id=decoy style='position:absolute;top:200px;left:20px'>"
        "Win a prize</button>"
        f"<iframe id=victim src='{authorize_url}' width=800 height=600 "
        "style='opacity:0;position:absolute;top:0;left:0'></iframe>"
    )
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{origin}/login")
        page.fill("#email", world.emails["edward"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{origin}/")
        assert page.goto(authorize_url).ok  # the consent page itself renders at the top level
        assert page.locator("button[value=allow]").count() == 1

        page.goto(f"{evil}/")
        page.wait_for_timeout(1000)
        frame = next(f for f in page.frames if f != page.main_frame)
        assert (
            frame.url.startswith("chrome-error://")
            or frame.locator("button[value=allow]").count() == 0
        )
        page.mouse.click(40, 210)
        page.wait_for_timeout(300)
        with world.store.reader() as tx:
            assert tx.grants.find(world.apps["A"].client_id, world.accounts["edward"]) is None
    finally:
        context.close()


def test_the_consent_answer_reaches_the_app_through_the_csp_and_loads_nothing_foreign(
    chromium: str, threelo_server: tuple[str, World]
) -> None:
    """``form-action`` applies to the redirects after a submission: the app's callback must pass.
    PH-02: the pages load only same-origin resources."""
    in_chromium(chromium, lambda browser: consent_in_browser(browser, threelo_server))


def consent_in_browser(browser: Any, threelo_server: tuple[str, World]) -> None:
    origin, world = threelo_server
    authorize_url = f"{origin}/authorize?{urlencode(authorize_params(world.apps['A']))}"
    context = browser.new_context()
    requested: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: requested.append(r.url))
        context.route("https://app-a.test/**", lambda route: route.fulfill(body="app"))
        page.goto(authorize_url)  # signed out: the login page, then back here
        page.fill("#email", world.emails["edward"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("button[value=allow]")
        page.check(f"input[value='{world.sites['S1'].cloud_id}']")
        page.click("button[value=allow]")
        page.wait_for_url("https://app-a.test/callback?**")
        assert "code=" in page.url and "iss=" in page.url
        foreign = [u for u in requested if not u.startswith((origin, "https://app-a.test/"))]
        assert foreign == []
    finally:
        context.close()
