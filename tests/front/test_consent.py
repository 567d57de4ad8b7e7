"""The consent page and its decision (CONTRACT §4.3, §4.4; catalogue UI-03..05, UI-09, UI-12,
GR-01..04, GR-09)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from threelo.core.models import App, Distribution
from threelo.core.secret_values import digest
from threelo.web.common.csrf import derive_token

from .browser_client import SyncClient
from .conftest import ISSUER, World
from .helpers import (
    authorize,
    code_of,
    consent,
    decide,
    forms,
    is_error_page,
    location,
    login,
    main_form,
    snapshot,
    stored_code,
)

FORM = {"content-type": "application/x-www-form-urlencoded"}


def grant_of(world: World, app: str = "A", account: str = "edward") -> object:
    with world.store.reader() as tx:
        return tx.grants.find(world.apps[app].client_id, world.accounts[account])


def audit_kinds(world: World, account: str = "edward") -> list[str]:
    with world.store.reader() as tx:
        return [e.kind for e in tx.audit.recent(account_id=world.accounts[account], limit=100)]


def sid(world: World, name: str) -> str:
    return world.sites[name].cloud_id


# --- the page -------------------------------------------------------------------------------


def test_the_page_has_one_form_with_the_contracted_fields(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"], scope="read:jira-work read:me offline_access")
    form = main_form(page.text)
    assert page.text.count('method="post" action="/authorize/consent"') == 1
    assert set(form.hidden) == {"csrf", "request"}
    assert sorted(form.checkboxes) == sorted([sid(world, "S1"), sid(world, "S2")])
    assert ("decision", "allow") in form.buttons and ("decision", "deny") in form.buttons
    for text in (
        "App A",
        "View Jira issue data",
        "View active user profile",
        "Maintain access to data you have given it access to",
    ):
        assert text in page.text


def test_only_sites_with_a_product_the_scopes_need_are_offered(
    edward: SyncClient, world: World
) -> None:
    world.apps["C"] = world.app("C", ["https://c.test/cb"], "read:confluence-content.summary")
    form = main_form(
        authorize(edward, world.apps["C"], scope="read:confluence-content.summary").text
    )
    assert sorted(form.checkboxes) == sorted([sid(world, "S1"), sid(world, "Wiki")])


def test_no_site_picker_when_no_site_product_is_needed(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"], scope="read:me offline_access")
    assert main_form(page.text).checkboxes == []
    response = decide(edward, page)
    assert stored_code(world.store, code_of(response)).sites == frozenset()


def test_a_site_picked_when_none_is_needed_is_refused(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"], scope="read:me")
    assert is_error_page(decide(edward, page, sid(world, "S1")))


def test_ui09_app_name_and_scopes_are_escaped(edward: SyncClient, world: World) -> None:
    evil = world.put_app(
        "X",
        App(
            client_id="xss-app",
            name="<script>alert(1)</script><img src=x onerror=alert(1)>",
            owner_id=world.accounts["mallory"],
            callback_urls=("https://evil.test/cb",),
            scopes=("read:me",),
            distribution=Distribution.SHARING,
        ),
    )
    page = authorize(edward, evil, scope="read:me", state='"><script>alert(2)</script>')
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_sites_whose_admin_blocked_the_app_are_not_offered(
    edward: SyncClient, world: World
) -> None:
    with world.store.transaction() as tx:
        tx.app_site_blocks.block(world.apps["A"].client_id, sid(world, "S2"), world.clock.now())
    page = authorize(edward, world.apps["A"])
    assert main_form(page.text).checkboxes == [sid(world, "S1")]
    assert "Your site admin must authorize this app" in page.text
    assert is_error_page(decide(edward, page, sid(world, "S2")))


# --- allow ----------------------------------------------------------------------------------


def test_allow_redirects_303_with_code_state_and_iss(edward: SyncClient, world: World) -> None:
    response = consent(edward, world.apps["A"], sid(world, "S1"))
    assert response.status_code == 303  # UI-11: never 307/308
    target, query = location(response)
    assert target == "https://app-a.test/callback"
    assert query["state"] == ["xyz"] and query["iss"] == [ISSUER]


def test_the_code_holds_what_the_consent_covered(edward: SyncClient, world: World) -> None:
    response = consent(
        edward,
        world.apps["A"],
        sid(world, "S1"),
        sid(world, "S2"),
        scope="read:jira-work offline_access",
    )
    code = stored_code(world.store, code_of(response))
    grant = grant_of(world)
    assert code.client_id == world.apps["A"].client_id
    assert code.account_id == world.accounts["edward"]
    assert code.redirect_uri == "https://app-a.test/callback"
    assert code.scopes == ("read:jira-work", "offline_access")
    assert code.sites == frozenset({sid(world, "S1"), sid(world, "S2")})
    assert code.grant_id == grant.grant_id  # type: ignore[attr-defined]
    assert (code.expires_at - code.issued_at).total_seconds() == 600


def test_the_loopback_port_used_is_the_one_redirected_to(edward: SyncClient, world: World) -> None:
    response = consent(
        edward, world.apps["N"], sid(world, "S1"), redirect_uri="http://127.0.0.1:49152/callback"
    )
    assert response.headers["location"].startswith("http://127.0.0.1:49152/callback?code=")
    assert stored_code(world.store, code_of(response)).redirect_uri == (
        "http://127.0.0.1:49152/callback"
    )


def test_allow_without_a_site_when_one_is_needed_is_refused(
    edward: SyncClient, world: World
) -> None:
    before = snapshot(world.store)
    assert is_error_page(decide(edward, authorize(edward, world.apps["A"])))
    assert snapshot(world.store) == before


# --- GR-01: only sites the user may grant ---------------------------------------------------


@pytest.mark.parametrize(
    "sites",
    [
        lambda w: [sid(w, "S4")],
        lambda w: [sid(w, "S3")],
        lambda w: ["5b1f1c1e-0000-4000-8000-000000000000"],
        lambda w: [w.sites["S1"].url],
        lambda w: [sid(w, "S1"), sid(w, "S4")],
        lambda w: [sid(w, "S1"), sid(w, "S1")],
        lambda w: ['["' + sid(w, "S1") + '"]'],
        lambda w: [sid(w, "S1") + "\x00"],
        lambda w: [""],
    ],
)
def test_gr01_a_site_not_offered_grants_nothing(
    edward: SyncClient, world: World, sites: Callable[[World], list[str]]
) -> None:
    page = authorize(edward, world.apps["A"])
    before = snapshot(world.store)
    response = decide(edward, page, *sites(world))
    assert response.status_code == 400 and "location" not in response.headers
    assert snapshot(world.store) == before
    assert code_of(decide(edward, page, sid(world, "S1")))  # the request is still answerable


def test_gr01_a_json_body_is_refused(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"])
    form = main_form(page.text)
    response = edward.post(
        "/authorize/consent",
        json={
            "csrf": form.value("csrf"),
            "request": form.value("request"),
            "decision": "allow",
            "site": [sid(world, "S1"), sid(world, "S4")],
        },
    )
    assert response.status_code == 415 and grant_of(world) is None


# --- GR-02: one grant that accumulates ------------------------------------------------------


def test_gr02_a_second_consent_adds_sites_and_replaces_scopes(
    edward: SyncClient, world: World
) -> None:
    consent(edward, world.apps["A"], sid(world, "S1"), scope="read:jira-work")
    first = grant_of(world)
    consent(edward, world.apps["A"], sid(world, "S2"), scope="write:jira-work read:me")
    second = grant_of(world)
    assert second.grant_id == first.grant_id  # type: ignore[attr-defined]
    assert second.sites == frozenset({sid(world, "S1"), sid(world, "S2")})  # type: ignore[attr-defined]
    assert second.scopes == ("write:jira-work", "read:me")  # type: ignore[attr-defined]
    with world.store.reader() as tx:
        assert len(tx.grants.for_account(world.accounts["edward"])) == 1
    kinds = audit_kinds(world)
    assert "grant.created" in kinds and "grant.extended" in kinds


def test_gr02_the_grant_remembers_the_apps_scopes_version(edward: SyncClient, world: World) -> None:
    consent(edward, world.apps["A"], sid(world, "S1"))
    assert grant_of(world).app_scopes_version == world.apps["A"].scopes_version  # type: ignore[attr-defined]


# --- UI-03 / GR-03: CSRF and session binding ------------------------------------------------


def post_form(client: SyncClient, pairs: list[tuple[str, str]], **headers: str) -> object:
    return client.post("/authorize/consent", content=urlencode(pairs), headers={**FORM, **headers})


def test_ui03_consent_needs_the_forms_own_token(
    edward: SyncClient, world: World, new_client: Callable[..., SyncClient]
) -> None:
    page = authorize(edward, world.apps["A"])
    other_page = authorize(edward, world.apps["B"])
    form, other = main_form(page.text), main_form(other_page.text)
    mallory = new_client()
    login(mallory, world.emails["mallory"])
    mallory_form = main_form(authorize(mallory, world.apps["A"]).text)
    request, s1 = form.value("request"), sid(world, "S1")
    before = snapshot(world.store)
    for csrf in (
        [],
        [("csrf", other.value("csrf"))],
        [("csrf", mallory_form.value("csrf"))],
        [("csrf", "")],
        [("csrf", form.value("csrf")), ("csrf", form.value("csrf"))],
    ):
        response = post_form(
            edward, [*csrf, ("request", request), ("decision", "allow"), ("site", s1)]
        )
        assert response.status_code == 403, csrf  # type: ignore[attr-defined]
    assert snapshot(world.store) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://127.0.0.2:9000"},
        {"origin": "http://127.0.0.2:9000", "sec-fetch-site": "cross-site"},
        {"origin": "null", "sec-fetch-site": "cross-site"},
        {"origin": ISSUER, "sec-fetch-site": "same-site"},
        {"sec-fetch-site": "cross-site"},
    ],
)
def test_ui03_a_cross_site_post_is_refused_even_with_the_token(
    edward: SyncClient, world: World, headers: dict[str, str]
) -> None:
    page = authorize(edward, world.apps["A"])
    response = decide(edward, page, sid(world, "S1"), **headers)
    assert response.status_code == 403 and grant_of(world) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": ISSUER, "sec-fetch-site": "same-origin"},
        {
            "origin": "null",
            "sec-fetch-site": "same-origin",
        },  # our page, Referrer-Policy no-referrer
        {"origin": ISSUER},
    ],
)
def test_a_same_origin_post_is_accepted(
    edward: SyncClient, world: World, headers: dict[str, str]
) -> None:
    page = authorize(edward, world.apps["A"])
    assert code_of(decide(edward, page, sid(world, "S1"), **headers))


def test_gr03_a_pending_request_of_another_session_is_refused(
    edward: SyncClient, world: World, new_client: Callable[..., SyncClient]
) -> None:
    mallory = new_client()
    login(mallory, world.emails["mallory"])
    mallory_page = authorize(mallory, world.apps["A"])
    own = main_form(authorize(edward, world.apps["A"]).text)
    stolen = main_form(mallory_page.text).value("request")
    response = post_form(
        edward,
        [
            ("csrf", own.value("csrf")),
            ("request", stolen),
            ("decision", "allow"),
            ("site", sid(world, "S1")),
        ],
    )
    assert response.status_code in (400, 403)  # type: ignore[attr-defined]
    # even with a valid token for that request id in edward's own session
    with world.store.reader() as tx:
        session = tx.sessions.get(digest(edward.cookies["threelo_session"]))
    assert session is not None
    response = post_form(
        edward,
        [
            ("csrf", derive_token(session, "consent", stolen)),
            ("request", stolen),
            ("decision", "allow"),
            ("site", sid(world, "S1")),
        ],
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert grant_of(world) is None and grant_of(world, account="mallory") is None


def test_gr03_posted_identity_and_request_fields_are_ignored(
    edward: SyncClient, world: World
) -> None:
    page = authorize(edward, world.apps["A"], scope="read:jira-work")
    response = decide(
        edward,
        page,
        sid(world, "S1"),
        extra=[
            ("account_id", world.accounts["mallory"]),
            ("client_id", world.apps["B"].client_id),
            ("redirect_uri", "https://evil.test/cb"),
            ("scope", "write:jira-work"),
            ("state", "x"),
        ],
    )
    target, query = location(response)
    assert target == "https://app-a.test/callback" and query["state"] == ["xyz"]
    code = stored_code(world.store, query["code"][0])
    assert code.account_id == world.accounts["edward"] and code.scopes == ("read:jira-work",)


def test_consent_after_signing_out_is_refused(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"])
    logout_csrf = next(f for f in forms(page.text) if f.action == "/logout").value("csrf")
    edward.post("/logout", data={"csrf": logout_csrf})
    assert decide(edward, page, sid(world, "S1")).status_code == 403


# --- UI-04: only POST decides ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_ui04_other_methods_on_consent_change_nothing(
    edward: SyncClient, world: World, method: str
) -> None:
    form = main_form(authorize(edward, world.apps["A"]).text)
    query = urlencode(
        {
            "csrf": form.value("csrf"),
            "request": form.value("request"),
            "decision": "allow",
            "site": sid(world, "S1"),
        }
    )
    response = edward.request(method, "/authorize/consent?" + query)
    assert response.status_code == 405 and "location" not in response.headers
    assert grant_of(world) is None


def test_ui04_method_override_headers_are_ignored(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"])
    form = main_form(page.text)
    response = edward.get(
        "/authorize/consent",
        headers={"x-http-method-override": "POST"},
        params={
            "csrf": form.value("csrf"),
            "request": form.value("request"),
            "decision": "allow",
            "site": sid(world, "S1"),
        },
    )
    assert response.status_code == 405 and grant_of(world) is None


# --- single use, expiry ---------------------------------------------------------------------


def test_a_pending_request_is_answered_once(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"])
    assert code_of(decide(edward, page, sid(world, "S1")))
    again = decide(edward, page, sid(world, "S2"))
    assert again.status_code == 400 and "location" not in again.headers
    assert grant_of(world).sites == frozenset({sid(world, "S1")})  # type: ignore[attr-defined]


def test_a_pending_request_expires(edward: SyncClient, world: World) -> None:
    page = authorize(edward, world.apps["A"])
    world.clock.advance(minutes=31)
    assert decide(edward, page, sid(world, "S1")).status_code == 400
    assert grant_of(world) is None


@pytest.mark.parametrize(
    "pairs",
    [
        [("decision", "allow")],
        [("request", "x"), ("decision", "maybe")],
        [("request", "a"), ("request", "b"), ("decision", "allow")],
        [("request", "x"), ("decision", "allow"), ("decision", "deny")],
    ],
)
def test_a_malformed_decision_is_refused(edward: SyncClient, pairs: list[tuple[str, str]]) -> None:
    assert post_form(edward, pairs).status_code == 400  # type: ignore[attr-defined]


# --- UI-12: deny ----------------------------------------------------------------------------


def test_ui12_deny_redirects_access_denied_and_keeps_the_grant(
    edward: SyncClient, world: World
) -> None:
    consent(edward, world.apps["A"], sid(world, "S1"))
    before = snapshot(world.store)
    page = authorize(edward, world.apps["A"])
    response = decide(edward, page, sid(world, "S2"), decision="deny")
    assert response.status_code == 303
    target, query = location(response)
    assert target == "https://app-a.test/callback"
    assert query == {
        "error": ["access_denied"],
        "error_description": ["User did not authorize the request"],
        "state": ["xyz"],
        "iss": [ISSUER],
    }
    assert snapshot(world.store) == before
    assert "consent.denied" in audit_kinds(world)
    assert decide(edward, page, sid(world, "S1")).status_code == 400  # used up


# --- GR-04: concurrent consents -------------------------------------------------------------


def test_gr04_concurrent_consents_make_one_grant_with_every_site(
    edward: SyncClient, world: World
) -> None:
    def answer(results: list[int], page: object, site: str) -> None:
        results.append(decide(edward, page, site).status_code)  # type: ignore[arg-type]

    for _ in range(10):
        pages = [authorize(edward, world.apps["B"]) for _ in range(2)]
        results: list[int] = []
        threads = [
            threading.Thread(target=answer, args=(results, p, sid(world, s)))
            for p, s in zip(pages, ("S1", "S2"), strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [303, 303]
    with world.store.reader() as tx:
        grants = tx.grants.for_account(world.accounts["edward"])
    assert len(grants) == 1 and grants[0].sites == frozenset({sid(world, "S1"), sid(world, "S2")})


# --- GR-09: apps and users stay apart -------------------------------------------------------


def test_gr09_grants_are_per_app_and_per_account(
    edward: SyncClient, world: World, new_client: Callable[..., SyncClient]
) -> None:
    consent(edward, world.apps["A"], sid(world, "S1"))
    mallory = new_client()
    login(mallory, world.emails["mallory"])
    page = authorize(mallory, world.apps["A"])
    assert main_form(page.text).checkboxes == [sid(world, "S3")]
    consent(mallory, world.apps["A"], sid(world, "S3"))
    assert grant_of(world, "B") is None
    assert grant_of(world).sites == frozenset({sid(world, "S1")})  # type: ignore[attr-defined]
    assert grant_of(world, account="mallory").sites == frozenset({sid(world, "S3")})  # type: ignore[attr-defined]
