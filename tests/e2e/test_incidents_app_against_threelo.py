"""The Incidents app and threelo, both in-process: a callback reaches the token endpoint only in
the browser session that started its flow, and only with a signed-in user (SDK-01, SDK-02)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import ISSUER, InProcess, InProcessIncidents
from .harness import AsyncConsentDriver, form_body, form_with_action

pytestmark = pytest.mark.anyio

APP = "http://127.0.0.1:8100"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


class AppBrowser:
    """A cookie jar at the Incidents app; redirects are never followed."""

    def __init__(self, incidents: InProcessIncidents) -> None:
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=incidents.app), base_url=APP
        )

    async def post(self, path: str, **fields: str) -> httpx.Response:
        home = await self.http.get("/")
        csrf = dict(
            form_with_action(home.text, "/login" if "/login" in home.text else "/logout").fields
        )
        return await self.http.post(path, **form_body([("csrf", csrf["csrf"]), *fields.items()]))

    async def sign_in(self, user: str) -> None:
        response = await self.post("/login", username=user, password=f"{user}-demo")
        assert response.status_code == 303

    async def open(self, url: str) -> httpx.Response:
        parts = urlsplit(url)
        return await self.http.get(f"{parts.path}?{parts.query}")


async def test_a_callback_is_exchanged_only_in_the_session_that_started_it(
    threelo: InProcess, incidents_in_process: InProcessIncidents
) -> None:
    seed = threelo.seed
    mallory, edward, stranger = (AppBrowser(incidents_in_process) for _ in range(3))
    mallory_at_threelo = AsyncConsentDriver(ISSUER, threelo.transport())
    try:
        await mallory.sign_in("mallory")
        await edward.sign_in("edward")
        connect = await mallory.post("/connect")
        assert connect.status_code == 303
        await mallory_at_threelo.sign_in(seed.mallory)
        callback = await mallory_at_threelo.consent(connect.headers["location"])

        no_user = await stranger.open(callback)  # SDK-02: nobody signed in
        wrong_user = await edward.open(callback)  # SDK-01: Edward's session
        assert (no_user.status_code, wrong_user.status_code) == (401, 400)
        assert "Link refused" in text_of(wrong_user.text)
        assert incidents_in_process.recorder.token_requests() == []
        assert incidents_in_process.state.links == {}

        # The same callback in the session that started the flow: linked to Mallory, by id.
        own = await mallory.open(callback)
        assert own.status_code == 303 and own.headers["location"] == "/sites"
        assert len(incidents_in_process.recorder.token_requests()) == 1
        links = incidents_in_process.state.links
        assert list(links) == ["mallory"]
        assert links["mallory"].account_id == seed.mallory.account_id
    finally:
        for browser in (mallory, edward, stranger):
            await browser.http.aclose()
        await mallory_at_threelo.aclose()
