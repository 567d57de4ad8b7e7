"""Codes through the real pages, the way a browser gets them: GET /login, POST /login,
GET /authorize, POST /authorize/consent (CONTRACT §4.1–§4.3)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

from .client import SyncClient
from .conftest import PASSWORD, World


class _Hidden(HTMLParser):
    """The page's own form (the layout's sign-out form is skipped)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.sites: list[str] = []
        self._skipping = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._skipping = a.get("action") == "/logout"
        if self._skipping:
            return
        if tag == "input" and a.get("type") == "hidden" and "name" in a:
            self.hidden.setdefault(a["name"], a.get("value", ""))
        if tag == "input" and a.get("type") == "checkbox" and a.get("name") == "site":
            self.sites.append(a.get("value", ""))


def _form(html: str) -> _Hidden:
    parser = _Hidden()
    parser.feed(html)
    return parser


def sign_in(browser: SyncClient, email: str) -> None:
    page = browser.get("/login", params={"next": "/"})
    form = _form(page.text)
    response = browser.post("/login", data={
        "csrf": form.hidden["csrf"], "next": form.hidden["next"], "email": email,
        "password": PASSWORD,
    })  # fmt: skip
    assert response.status_code == 303, response.text


def front_code(
    world: World,
    key: str,
    *,
    account: str = "edward",
    scopes: str = "read:jira-work offline_access",
    redirect_uri: str | None = None,
    challenge: str | None = None,
    sites: tuple[str, ...] = ("S1",),
    browser: SyncClient | None = None,
) -> str:
    """A code from the consent page: the user signs in, sees the consent page, allows."""
    assert world.asgi is not None
    c = world.clients[key]
    if browser is None:
        browser = SyncClient(world.asgi, address="198.51.100.99")
        world._http.append(browser)
        sign_in(browser, f"{account}@example.test")
    params = {
        "audience": "api.atlassian.com", "client_id": c.id, "scope": scopes,
        "redirect_uri": redirect_uri or c.callback, "state": "st-1", "response_type": "code",
        "prompt": "consent",
    }  # fmt: skip
    if challenge is not None or c.app.public:
        from .conftest import CHALLENGE

        params |= {"code_challenge": challenge or CHALLENGE, "code_challenge_method": "S256"}
    page = browser.get("/authorize?" + urlencode(params))
    assert page.status_code == 200, page.text
    form = _form(page.text)
    chosen = [world.sites[s].cloud_id for s in sites if world.sites[s].cloud_id in form.sites]
    data = [("csrf", form.hidden["csrf"]), ("request", form.hidden["request"]),
            ("decision", "allow"), *[("site", s) for s in chosen]]  # fmt: skip
    answer = browser.post(
        "/authorize/consent",
        content=urlencode(data),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code in (302, 303), answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]
