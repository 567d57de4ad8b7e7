"""redirect_uri: exact match or an error page, never a redirect (catalogue RU-01..RU-08)."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from .browser_client import SyncClient, raw_request
from .conftest import World
from .helpers import authorize, authorize_params, authorize_raw, decide, is_error_page, query_pairs

B = "https://app-a.test/callback"

RU01 = [
    B + "/extra",
    B + "?x=1",
    B + "?code=attackercode",
    "https://app-a.test/CALLBACK",
    "https://app-a.test/Callback",
    "https://APP-A.test/callback",
    "HTTPS://app-a.test/callback",
    B + "/",
    "https://app-a.test//callback",
    "https://app-a.test:443/callback",
    "http://app-a.test/callback",
    B + "#x",
    "https://app-a.test.evil.test/callback",
    "https://evilapp-a.test/callback",
    "https://app-aXtest/callback",
    "https://app-a.test@evil.test/callback",
    "https://app-a.test@@evil.test/callback",
    "https://app-a.test:443@evil.test/callback",
    "https://evil.test\\@app-a.test/callback",
    "https://evil.test%5C@app-a.test/callback",
    "https://evil.test#@app-a.test/callback",
    "https://evil.test?@app-a.test/callback",
    "https://app-a.test%2f@evil.test",
    "https://app-a.test%252f@evil.test",
    "javascript:alert(1)//app-a.test/callback",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "app-a://callback",
    "https://\u0430pp-a.test/callback",
    "https://app-a.test\uff0fcallback",
    " " + B,
    B + " ",
    B + "\x00",
    B + "\r\n",
    B + "\t",
]
RU02 = [
    B + suffix
    for suffix in (
        "/FAKEPATH",
        "%2FFAKEPATH",
        "/..%2FFAKEPATH",
        "/%2e%2e%2FFAKEPATH",
        "/..%252FFAKEPATH",
        "/%252e%252e%252FFAKEPATH",
        "/FAKEPATH/..",
        "%2FFAKEPATH%2F..",
        "%2FFAKEPATH%2F%2e%2e",
        "%252FFAKEPATH%252F..",
        "%252FFAKEPATH%252F%252e%252e",
        "/;/../../FAKEPATH",
        "/%3B/../../FAKEPATH",
        "%3B%2F..%2F..%2FFAKEPATH",
        "%3B%2F%2e%2e%2F%2F%2e%2eFAKEPATH",
        "%253B%252F..%252F..%252FFAKEPATH",
        "%0A%0D/../../FAKEPATH",
        "%0A%0D%2F..%2F..%2FFAKEPATH",
        "%0A%0D%2F%2e%2e%2F%2F%2e%2eFAKEPATH",
        "%250A%250D%252F..%252F..%252FFAKEPATH",
        "/..;/evil",
        "/../evil",
    )
]


def assert_error_page(response: object) -> None:
    assert is_error_page(response), (response.status_code, response.headers)  # type: ignore[attr-defined]
    assert response.status_code == 400  # type: ignore[attr-defined]


@pytest.mark.parametrize("redirect_uri", RU01)
def test_ru01_anything_but_the_registered_string_gets_an_error_page(
    edward: SyncClient, world: World, redirect_uri: str
) -> None:
    assert_error_page(authorize(edward, world.apps["A"], redirect_uri=redirect_uri))


@pytest.mark.parametrize("suffix", RU02, ids=range(len(RU02)))
def test_ru02_path_confusion_gets_an_error_page(
    edward: SyncClient, world: World, suffix: str
) -> None:
    params = authorize_params(world.apps["A"])
    params.pop("redirect_uri")
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    assert_error_page(authorize_raw(edward, f"{query}&redirect_uri={suffix}"))


def test_ru01_an_empty_redirect_uri_counts_as_missing(edward: SyncClient, world: World) -> None:
    assert_error_page(authorize(edward, world.apps["A"], redirect_uri=""))


def test_ru03_a_loopback_ip_callback_may_use_any_port(edward: SyncClient, world: World) -> None:
    response = authorize(
        edward, world.apps["N"], redirect_uri="http://127.0.0.1:51234/callback", prompt="consent"
    )
    assert response.status_code == 200 and "/authorize/consent" in response.text


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:51234/callback?bar=foo",
        "http://127.0.0.1:51234/other",
        "http://localhost:51234/callback",
        "http://127.0.0.1.evil.test:51234/callback",
        "http://127.0.0.1:51234@evil.test/callback",
        "http://[::1]:51234/callback",
        "https://app-a.test/callback",
    ],
)
def test_ru03_loopback_rules_stop_at_the_port(
    edward: SyncClient, world: World, redirect_uri: str
) -> None:
    assert_error_page(authorize(edward, world.apps["N"], redirect_uri=redirect_uri))


@pytest.mark.parametrize(
    "redirect_uri", ["http://127.0.0.1/callback", "https://app-a.test:8443/callback"]
)
def test_ru03_web_apps_get_no_loopback_or_port_exception(
    edward: SyncClient, world: World, redirect_uri: str
) -> None:
    assert_error_page(authorize(edward, world.apps["A"], redirect_uri=redirect_uri))


def test_ru04_a_registered_query_is_kept_and_the_response_added_to_it(
    edward: SyncClient, world: World
) -> None:
    page = authorize(edward, world.apps["B"], redirect_uri="https://app-b.test/cb?tenant=1")
    response = decide(edward, page, world.sites["S1"].cloud_id)
    assert response.headers["location"].startswith("https://app-b.test/cb?tenant=1&code=")
    names = [name for name, _ in query_pairs(response)]
    assert names == ["tenant", "code", "state", "iss"]


def test_ru04_a_different_query_value_gets_an_error_page(edward: SyncClient, world: World) -> None:
    assert_error_page(
        authorize(edward, world.apps["B"], redirect_uri="https://app-b.test/cb?tenant=2")
    )


@pytest.mark.parametrize("key", ["A", "B"])
def test_ru05_redirect_uri_is_required_even_with_one_callback(
    edward: SyncClient, world: World, key: str
) -> None:
    assert_error_page(authorize(edward, world.apps[key], redirect_uri=None))


def test_ru06_unknown_client_never_redirects(client: SyncClient, edward: SyncClient) -> None:
    response = edward.get(
        "/authorize",
        params={
            "client_id": "nope",
            "redirect_uri": "https://evil.test/cb",
            "response_type": "code",
            "scope": "read:me",
        },
    )
    assert_error_page(response)
    assert "evil.test" not in response.text


def test_ru06_unregistered_redirect_with_a_bad_scope_shows_the_page(
    edward: SyncClient, world: World
) -> None:
    response = authorize(
        edward, world.apps["A"], redirect_uri="https://evil.test/cb", scope="bogus"
    )
    assert_error_page(response)


def test_ru06_missing_client_id_shows_the_page_even_signed_out(client: SyncClient) -> None:
    assert_error_page(client.get("/authorize", params={"redirect_uri": "https://evil.test/cb"}))


def test_ru06_another_apps_callback_is_not_accepted(edward: SyncClient, world: World) -> None:
    assert_error_page(authorize(edward, world.apps["A"], redirect_uri="https://evil.test/cb"))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://[" + ":" * 40 + "]/path",
        "https://app-a.test/" + "a" * 60_000,
        "https://app-a.test/callback" + "%25" * 10_000,
    ],
)
def test_ru08_pathological_uris_are_answered_quickly(
    edward: SyncClient, world: World, redirect_uri: str
) -> None:
    started = time.perf_counter()
    response = authorize(edward, world.apps["A"], redirect_uri=redirect_uri)
    assert time.perf_counter() - started < 0.5
    assert response.status_code in (400, 414) and "location" not in response.headers


def test_ru_a_good_redirect_uri_reaches_the_consent_page(edward: SyncClient, world: World) -> None:
    response = authorize(edward, world.apps["A"])
    assert response.status_code == 200 and "/authorize/consent" in response.text


def test_ru08_a_100_kb_authorize_url_is_refused_without_a_redirect(
    world: World, app: object
) -> None:
    params = authorize_params(world.apps["A"])
    params["redirect_uri"] = "https://app-a.test/" + "a" * 100_000
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items()).encode()
    started = time.perf_counter()
    status, headers, _ = raw_request(app, "GET", "/authorize", query)  # type: ignore[arg-type]
    assert time.perf_counter() - started < 0.5
    assert status == 414 and "location" not in headers
