"""Arbitrary query and form pairs (NUL, lone surrogates, huge values) never cause a 5xx: the answer
is always an HTML page or a redirect (catalogue PH-08, PH-09)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from threelo.storage import MemoryStore

from .browser_client import SyncClient, raw_request
from .conftest import build_world, make_app
from .helpers import authorize_params, login, main_form

NAMES = [
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "response_type",
    "audience",
    "prompt",
    "code_challenge",
    "code_challenge_method",
    "request",
    "csrf",
    "decision",
    "site",
    "email",
    "password",
    "next",
]
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "\ud800", "allow", "deny", "code", "S256"]),
    st.builds(lambda n: "x" * n, st.integers(10_000, 120_000)),
)
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=10))
pairs = st.lists(st.tuples(names, values), max_size=12)


@dataclass
class Target:
    app: Starlette
    cookie: str
    valid: dict[str, str]  # fields of a real consent form and real authorize parameters
    login_csrf: str
    anonymous_cookie: str


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    world = build_world(MemoryStore())
    app = make_app(world)
    browser = SyncClient(app)
    try:
        login(browser, world.emails["edward"])
        page = browser.get("/authorize", params=authorize_params(world.apps["A"]))
        form = main_form(page.text)
        anonymous = SyncClient(app)
        login_csrf = main_form(anonymous.get("/login").text).value("csrf")
        anonymous_cookie = f"threelo_session={anonymous.cookies['threelo_session']}"
        anonymous.close()
        valid = {
            "csrf": form.value("csrf"),
            "request": form.value("request"),
            **authorize_params(world.apps["A"]),
        }
        yield Target(
            app,
            f"threelo_session={browser.cookies['threelo_session']}",
            valid,
            login_csrf,
            anonymous_cookie,
        )
    finally:
        browser.close()


def encode(items: list[tuple[str, str]]) -> bytes:
    return "&".join(
        f"{quote(n.encode('utf-8', 'surrogatepass'), safe='')}="
        f"{quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
        for n, v in items
    ).encode()


def assert_page_or_redirect(status: int, headers: dict[str, str]) -> None:
    assert status < 500
    if status in (302, 303):
        assert headers["location"]
    else:
        assert 200 <= status < 500 and headers["content-type"].startswith("text/html"), status
        assert headers["x-frame-options"] == "DENY"


def with_valid(
    target: Target, items: list[tuple[str, str]], keep: list[bool]
) -> list[tuple[str, str]]:
    base = [(k, v) for (k, v), use in zip(target.valid.items(), keep, strict=False) if use]
    return base + items


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(items=pairs, keep=st.lists(st.booleans(), min_size=9, max_size=9), signed_in=st.booleans())
def test_fuzz_authorize(
    target: Target, items: list[tuple[str, str]], keep: list[bool], signed_in: bool
) -> None:
    headers = [(b"cookie", target.cookie.encode())] if signed_in else []
    status, out, _ = raw_request(
        target.app, "GET", "/authorize", encode(with_valid(target, items, keep)), headers=headers
    )
    assert_page_or_redirect(status, out)


@FUZZ
@given(items=pairs, keep=st.lists(st.booleans(), min_size=2, max_size=2))
def test_fuzz_consent(target: Target, items: list[tuple[str, str]], keep: list[bool]) -> None:
    headers = [
        (b"cookie", target.cookie.encode()),
        (b"content-type", b"application/x-www-form-urlencoded"),
    ]
    status, out, _ = raw_request(
        target.app,
        "POST",
        "/authorize/consent",
        body=encode(with_valid(target, items, keep)),
        headers=headers,
    )
    assert_page_or_redirect(status, out)


@FUZZ
@given(items=pairs, with_token=st.booleans())
def test_fuzz_login(target: Target, items: list[tuple[str, str]], with_token: bool) -> None:
    headers = [
        (b"cookie", target.anonymous_cookie.encode()),
        (b"content-type", b"application/x-www-form-urlencoded"),
    ]
    fields = ([("csrf", target.login_csrf)] if with_token else []) + items
    status, out, _ = raw_request(target.app, "POST", "/login", body=encode(fields), headers=headers)
    assert_page_or_redirect(status, out)
