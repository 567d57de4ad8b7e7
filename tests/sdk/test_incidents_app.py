"""The example app in-process, against the recording fake: the attack it exists to show."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from examples.incidents_app import Settings, create_app

from .fake_server import API, AUTH, CLIENT_ID, CLIENT_SECRET, SITES, FakeAuthorizationServer

APP = "http://127.0.0.1:8100"
EDWARDS_SITE = SITES["edward"][0][0]
MALLORYS_SITE = SITES["mallory"][0][0]

pytestmark = pytest.mark.anyio


class Browser:
    """One user's cookie jar on the incidents app; redirects are never followed."""

    def __init__(self, app: Starlette) -> None:
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP)

    async def csrf(self, path: str = "/") -> str:
        page = await self.http.get(path)
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)

    async def post(self, path: str, **fields: str) -> httpx.Response:
        return await self.http.post(path, data={"csrf": await self.csrf(), **fields})

    async def sign_in(self, name: str) -> None:
        response = await self.post("/login", username=name, password=f"{name}-demo")
        assert response.status_code == 303

    async def start_connect(self, **fields: str) -> str:
        response = await self.post("/connect", **fields)
        assert response.status_code == 303, response.text
        return response.headers["location"]

    async def open(self, url: str) -> httpx.Response:
        parts = urlsplit(url)
        return await self.http.get(f"{parts.path}?{parts.query}")


def build_app(fake: FakeAuthorizationServer, *, unsafe: bool = False) -> Starlette:
    return create_app(
        Settings(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            threelo_url=AUTH,
            api_url=API,
            public_url=APP,
            unsafe_skip_state_check=unsafe,
            http_client=httpx.AsyncClient(transport=fake.transport()),
        )
    )


@pytest.fixture
async def browsers(fake: FakeAuthorizationServer) -> AsyncIterator[tuple[Browser, Browser]]:
    app = build_app(fake)
    edward, mallory = Browser(app), Browser(app)
    await edward.sign_in("edward")
    await mallory.sign_in("mallory")
    yield edward, mallory
    await edward.http.aclose()
    await mallory.http.aclose()


async def test_a_user_connects_jira_and_reports_an_incident_on_the_chosen_site(
    browsers: tuple[Browser, Browser], fake: FakeAuthorizationServer
) -> None:
    edward, _ = browsers
    callback = fake.approve(await edward.start_connect(), "edward")

    landed = await edward.open(callback)
    assert landed.status_code == 303
    assert landed.headers["location"] == "/sites"
    assert landed.headers["referrer-policy"] == "no-referrer"
    assert "code=" not in landed.headers["location"]

    assert "edward-one" in (await edward.http.get("/sites")).text
    assert (await edward.post("/sites", cloud_id=EDWARDS_SITE)).status_code == 303
    reported = await edward.post("/incidents", summary="Laptop stolen", description="at the gym")
    assert reported.status_code == 303

    (issue,) = fake.issues
    assert (issue.account, issue.cloud_id) == ("edward", EDWARDS_SITE)
    assert issue.fields["project"] == {"key": "SEC"}
    assert issue.fields["issuetype"] == {"name": "Task"}
    assert issue.fields["description"]["type"] == "doc"
    assert "SEC-1" in (await edward.http.get("/")).text


async def test_mallorys_callback_opened_by_edward_is_refused_and_links_nothing(
    browsers: tuple[Browser, Browser], fake: FakeAuthorizationServer
) -> None:
    # SDK-01 through the app: Mallory stops at the callback and gets Edward to open it.
    edward, mallory = browsers
    mallorys_callback = fake.approve(await mallory.start_connect(), "mallory")

    response = await edward.open(mallorys_callback)

    assert response.status_code == 400
    assert fake.token_requests == []
    assert "Jira is not connected" in (await edward.http.get("/")).text


async def test_mallorys_authorization_url_consented_by_edward_is_refused(
    browsers: tuple[Browser, Browser], fake: FakeAuthorizationServer
) -> None:
    # SDK-07: the callback arrives in Edward's browser carrying Mallory's state.
    edward, mallory = browsers
    callback = fake.approve(await mallory.start_connect(), "edward")

    assert (await edward.open(callback)).status_code == 400
    assert fake.token_requests == []
    assert "Jira is not connected" in (await mallory.http.get("/")).text


async def test_a_callback_without_a_signed_in_user_is_refused(
    fake: FakeAuthorizationServer, browsers: tuple[Browser, Browser]
) -> None:
    _, mallory = browsers
    callback = fake.approve(await mallory.start_connect(), "mallory")
    stranger = Browser(build_app(fake))

    assert (await stranger.open(callback)).status_code == 401
    assert fake.token_requests == []
    await stranger.http.aclose()


async def test_an_error_callback_is_shown_escaped(
    browsers: tuple[Browser, Browser], fake: FakeAuthorizationServer
) -> None:
    edward, _ = browsers
    denial = fake.deny(await edward.start_connect(), "<script>alert(1)</script>")

    response = await edward.open(denial)

    assert response.status_code == 400
    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert fake.token_requests == []


async def test_linking_follows_the_session_not_the_email(
    browsers: tuple[Browser, Browser], fake: FakeAuthorizationServer
) -> None:
    # SDK-13: Mallory's account has Edward's e-mail; her link stays hers.
    edward, mallory = browsers
    await mallory.open(fake.approve(await mallory.start_connect(), "mallory"))

    assert "acc-mallory" in (await mallory.http.get("/")).text
    assert "Jira is not connected" in (await edward.http.get("/")).text


@pytest.mark.parametrize(
    "target", ["https://evil.test/", "//evil.test", "/\\evil.test", "https:evil.test"]
)
async def test_the_app_never_returns_to_another_origin(
    browsers: tuple[Browser, Browser], target: str
) -> None:
    edward, _ = browsers

    assert (await edward.http.get("/connect", params={"return_to": target})).status_code == 400
    assert (await edward.post("/connect", return_to=target)).status_code == 400


async def test_a_same_origin_return_to_is_honoured_after_the_callback(
    browsers: tuple[Browser, Browser], fake: FakeAuthorizationServer
) -> None:
    edward, _ = browsers
    callback = fake.approve(await edward.start_connect(return_to="/incidents/new"), "edward")

    assert (await edward.open(callback)).headers["location"] == "/incidents/new"


async def test_forms_without_the_sessions_csrf_token_are_refused(
    browsers: tuple[Browser, Browser],
) -> None:
    edward, mallory = browsers
    mallorys_token = await mallory.csrf()

    response = await edward.http.post("/connect", data={"csrf": mallorys_token})

    assert response.status_code == 403


async def test_pages_forbid_framing_and_referrers(browsers: tuple[Browser, Browser]) -> None:
    edward, _ = browsers
    response = await edward.http.get("/")

    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "unsafe-banner" not in response.text


async def test_the_unsafe_switch_shows_the_attack_and_says_so_on_every_page(
    fake: FakeAuthorizationServer,
) -> None:
    app = build_app(fake, unsafe=True)
    edward, mallory = Browser(app), Browser(app)
    await edward.sign_in("edward")
    await mallory.sign_in("mallory")

    mallorys_callback = fake.approve(await mallory.start_connect(), "mallory")
    assert (await edward.open(mallorys_callback)).status_code == 303  # no state check at all

    home = (await edward.http.get("/")).text
    assert "unsafe-banner" in home
    assert "acc-mallory" in home  # Edward's account now holds Mallory's Jira connection
    await edward.post("/sites", cloud_id=MALLORYS_SITE)
    await edward.post("/incidents", summary="Confidential: layoffs next week")
    assert fake.issues[0].account == "mallory"  # Edward's report went to Mallory's site
    assert fake.issues[0].cloud_id == MALLORYS_SITE
    assert "unsafe-banner" in (await edward.http.get("/sites")).text
    await edward.http.aclose()
    await mallory.http.aclose()


def test_the_command_line_takes_flags_over_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from examples.incidents_app import settings_from_command_line

    monkeypatch.setenv("INCIDENTS_CLIENT_ID", "from-env")
    monkeypatch.setenv("INCIDENTS_CLIENT_SECRET", "env-secret")
    settings, port = settings_from_command_line(["--client-id", "from-flag", "--port", "8200"])

    assert (settings.client_id, settings.client_secret, port) == ("from-flag", "env-secret", 8200)
    assert settings.callback_url == "http://127.0.0.1:8200/callback"
    assert settings.threelo_url == "http://127.0.0.1:8000"
    assert not settings.unsafe_skip_state_check
