"""Sign-in, sign-out and sessions (CONTRACT §4.2; catalogue UI-01, UI-02, UI-11, PH-12, PH-13)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest

from threelo.core.models import AccountStatus
from threelo.web.common.ratelimit import MemoryRateLimiter

from .browser_client import SyncClient
from .conftest import World, make_app
from .helpers import PASSWORD, authorize, forms, login, main_form

COOKIE = "threelo_session"


def login_form(client: SyncClient, next: str = "/") -> dict[str, str]:
    form = main_form(client.get("/login", params={"next": next}).text)
    return {"csrf": form.value("csrf"), "next": form.value("next")}


def events(world: World, kind: str) -> list[object]:
    with world.store.reader() as tx:
        return [e for e in tx.audit.recent(limit=500) if e.kind == kind]


# --- success --------------------------------------------------------------------------------


def test_signing_in_redirects_303_to_next_with_a_new_session(
    client: SyncClient, world: World
) -> None:
    response = login(client, world.emails["edward"], next="/authorize?x=1")
    assert response.status_code == 303  # UI-11: never 307/308
    assert response.headers["location"] == "/authorize?x=1"
    assert events(world, "signin.succeeded")


def test_the_session_cookie_is_httponly_lax_and_path_root(client: SyncClient, world: World) -> None:
    response = login(client, world.emails["edward"])
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "secure" not in lowered  # http issuer


def test_the_cookie_is_secure_behind_an_https_issuer(world: World) -> None:
    secure = SyncClient(
        make_app(world, issuer="https://auth.threelo.test"), base_url="https://auth.threelo.test"
    )
    try:
        page = secure.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()
    finally:
        secure.close()


def test_the_store_keeps_only_a_digest_of_the_cookie(client: SyncClient, world: World) -> None:
    login(client, world.emails["edward"])
    value = client.cookies[COOKIE]
    with world.store.reader() as tx:
        assert tx.sessions.get(value) is None
        from threelo.core.secret_values import digest

        assert tx.sessions.get(digest(value)) is not None


def test_ui02_signing_in_replaces_the_session_and_the_old_one_is_worthless(
    client: SyncClient, world: World, new_client: Callable[..., SyncClient]
) -> None:
    client.get("/login")
    sid0 = client.cookies[COOKIE]
    login(client, world.emails["edward"])
    sid1 = client.cookies[COOKIE]
    assert sid1 != sid0
    attacker = new_client()
    attacker.cookies.set(COOKIE, sid0)
    response = authorize(attacker, world.apps["A"])
    assert response.status_code == 303 and response.headers["location"].startswith("/login?")


# --- failures (PH-13) ----------------------------------------------------------------------


def test_ph13_unknown_email_and_wrong_password_look_the_same(
    client: SyncClient, world: World
) -> None:
    wrong = login(client, world.emails["edward"], "not the password at all")
    unknown = login(client, "nobody@example.test", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Incorrect e-mail address or password." in wrong.text
    assert (
        wrong.text.replace(world.emails["edward"], "E").split("<form")[1].split('name="csrf"')[0]
        == unknown.text.replace("nobody@example.test", "E")
        .split("<form")[1]
        .split('name="csrf"')[0]
    )
    assert COOKIE in client.cookies  # still the anonymous session, nobody signed in
    assert authorize(client, world.apps["A"]).status_code == 303


def test_a_deactivated_account_cannot_sign_in(client: SyncClient, world: World) -> None:
    with world.store.transaction() as tx:
        tx.accounts.set_status(world.accounts["edward"], AccountStatus.INACTIVE)
    assert login(client, world.emails["edward"]).status_code == 401


def test_failed_sign_ins_are_audited_without_the_password(client: SyncClient, world: World) -> None:
    login(client, world.emails["edward"], "hunter2-secret-guess")
    login(client, "ghost@example.test", "hunter2-secret-guess")
    failed = events(world, "signin.failed")
    assert len(failed) == 2
    assert all("hunter2" not in repr(e) for e in failed)


@pytest.mark.parametrize("email", ["a\x00b@example.test", "x" * 1000, "", "\ud800@x.test"])
def test_odd_emails_fail_like_any_other(client: SyncClient, email: str) -> None:
    form = login_form(client)
    response = client.post(
        "/login",
        content=(
            "csrf="
            + form["csrf"]
            + "&email="
            + quote(email.encode("utf-8", "surrogatepass"))
            + "&password=x"
        ),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401


# --- UI-01: login CSRF ----------------------------------------------------------------------


def test_ui01_sign_in_needs_the_forms_token(
    client: SyncClient, world: World, new_client: Callable[..., SyncClient]
) -> None:
    form = login_form(client)
    creds = {"email": world.emails["mallory"], "password": PASSWORD, "next": "/"}
    other = login_form(new_client())
    for csrf in ({}, {"csrf": other["csrf"]}, {"csrf": ""}):
        response = client.post("/login", data={**creds, **csrf})
        assert response.status_code == 403 and "set-cookie" not in response.headers
    response = client.post(
        "/login", data={**creds, "csrf": form["csrf"]}, headers={"origin": "http://127.0.0.2:9000"}
    )
    assert response.status_code == 403
    assert authorize(client, world.apps["A"]).status_code == 303  # still signed out


def test_ui01_a_post_without_any_session_is_refused(world: World, client: SyncClient) -> None:
    response = client.post("/login", data={"email": world.emails["edward"], "password": PASSWORD})
    assert response.status_code == 403


# --- next -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.test/x",
        "/\\evil.test",
        "https://evil.test/",
        "http:/evil.test",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: a=b",
        "/ok\x00",
        "evil.test",
        "/\tevil",
        " /x",
        "/x y",
        "/é",
    ],
)
def test_next_must_be_a_same_origin_path(client: SyncClient, world: World, target: str) -> None:
    response = login(client, world.emails["edward"], next=target)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_next_keeps_a_relative_path_with_its_query(client: SyncClient, world: World) -> None:
    response = login(client, world.emails["edward"], next="/authorize?client_id=a&scope=b%20c")
    assert response.headers["location"] == "/authorize?client_id=a&scope=b%20c"


# --- throttling (PH-12) ---------------------------------------------------------------------


def test_repeated_failures_for_an_account_are_throttled(client: SyncClient, world: World) -> None:
    for _ in range(5):
        assert login(client, world.emails["edward"], "wrong password guess").status_code == 401
    blocked = login(client, world.emails["edward"], PASSWORD)  # even the right password
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "text/html" in blocked.headers["content-type"]


def test_throttling_is_per_address_and_time_boxed(world: World) -> None:
    now = [1_000_000.0]
    app = make_app(world, limiter=MemoryRateLimiter(now=lambda: now[0]))
    home, away = SyncClient(app, address="198.51.100.1"), SyncClient(app, address="198.51.100.2")
    try:
        for _ in range(5):
            login(home, world.emails["edward"], "wrong password guess")
        assert login(home, world.emails["edward"]).status_code == 429
        assert login(away, world.emails["edward"]).status_code == 303
        now[0] += 15 * 60 + 1
        assert login(home, world.emails["edward"]).status_code == 303
    finally:
        home.close()
        away.close()


def test_many_failures_from_one_address_are_throttled_across_accounts(
    client: SyncClient, world: World
) -> None:
    for n in range(50):
        login(client, f"user{n}@example.test", "wrong password guess")
    assert login(client, world.emails["edward"]).status_code == 429


# --- logout ---------------------------------------------------------------------------------


def test_logout_needs_its_token_and_ends_the_session(client: SyncClient, world: World) -> None:
    login(client, world.emails["edward"])
    value = client.cookies[COOKIE]
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    page = client.get("/")
    token = next(f for f in forms(page.text) if f.action == "/logout").value("csrf")
    response = client.post("/logout", data={"csrf": token})
    assert response.status_code == 303
    from threelo.core.secret_values import digest

    with world.store.reader() as tx:
        assert tx.sessions.get(digest(value)) is None
    assert authorize(client, world.apps["A"]).status_code == 303


def test_home_requires_sign_in(client: SyncClient) -> None:
    response = client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2F"
