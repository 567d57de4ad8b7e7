"""What a person does in Chromium, step by step: the Incidents app's pages and threelo's."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from threelo.core.ports import Store
from threelo.storage import open_store

from .harness import Person


@dataclass
class Captured:
    page: Any
    urls: list[str]

    def wait(self, what: str, timeout: float = 10.0) -> str:
        # Playwright runs route handlers only while the test is inside a Playwright call.
        deadline = time.monotonic() + timeout
        while not self.urls:
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            self.page.wait_for_timeout(50)
        return self.urls[0]


def sign_in_to_app(page: Any, app_url: str, user: str) -> None:
    page.goto(f"{app_url}/")
    page.fill('input[name="username"]', user)
    page.fill('input[name="password"]', f"{user}-demo")
    page.click('form[action="/login"] button')
    page.wait_for_selector(f"text=Signed in as {user}")


def press_connect_jira(page: Any) -> None:
    page.click('form[action="/connect"] button')


def sign_in_to_threelo(page: Any, threelo_url: str, person: Person) -> None:
    page.wait_for_url(f"{threelo_url}/login*")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    page.click('form[action="/login"] button[type="submit"]')


def answer_consent(page: Any, decision: str, site: str | None = None) -> None:
    page.wait_for_selector('form[action="/authorize/consent"]')
    if site is not None:
        for box in page.locator('input[name="site"]').all():
            box.set_checked(box.get_attribute("value") == site)
    page.click(f'button[name="decision"][value="{decision}"]')


def capture_redirect(page: Any, url_prefix: str, method: str = "POST") -> Captured:
    """Where the next ``method`` request to ``url_prefix`` redirects, without following it.

    The request itself reaches the real server; the browser gets a blank page instead of the
    redirect, so the target (Mallory's callback URL, or her authorization URL) is never loaded.
    Playwright does not route the hops of a redirect, so the redirecting request is the one
    intercepted.
    """
    captured = Captured(page, [])

    def hold(route: Any) -> None:
        if route.request.method != method or captured.urls:
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        assert response.status in (302, 303), response.status
        captured.urls.append(response.headers["location"])
        route.fulfill(status=200, content_type="text/plain", body="(held)")

    page.route(f"{url_prefix}*", hold)
    return captured


def lure_page(target: str) -> str:
    """The attacker's page: it sends whoever opens it to ``target`` (a top-level navigation)."""
    return (
        "<!doctype html><title>Quarterly incident stats</title>"
        "<p>Loading the dashboard...</p>"
        f"<script>location.href = {json.dumps(target)};</script>"
    )


def responses_to(page: Any, url_prefix: str) -> list[Any]:
    seen: list[Any] = []
    page.on("response", lambda r: seen.append(r) if r.url.startswith(url_prefix) else None)
    return seen


def token_families(database_url: str, client_id: str) -> int:
    """How many token families threelo has started for ``client_id`` (every code redeemed)."""
    store: Store = open_store(database_url, migrate=False)
    try:
        with store.reader() as tx:
            return sum(len(tx.families.for_grant(g.grant_id)) for g in tx.grants.for_app(client_id))
    finally:
        store.close()


def on_dialog(page: Any) -> list[str]:
    messages: list[str] = []

    def note(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", note)
    return messages
