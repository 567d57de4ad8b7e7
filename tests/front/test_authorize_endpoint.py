"""GET /authorize over HTTP: sign-in first, error redirects, PKCE, hygiene, remembered consent."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import pytest

from threelo.core.models import AccountStatus, Distribution

from .browser_client import SyncClient
from .conftest import ISSUER, World
from .helpers import (
    CHALLENGE,
    authorize,
    authorize_params,
    authorize_raw,
    code_of,
    consent,
    decide,
    is_error_page,
    location,
    login,
    main_form,
    stored_code,
)

A_CALLBACK = "https://app-a.test/callback"


def error_of(response: object, *, state: str | None = "xyz") -> str:
    """Assert an ERR-REDIRECT (catalogue §0) and return its error code."""
    assert response.status_code == 303, (response.status_code, response.text)  # type: ignore[attr-defined]
    _, query = location(response)  # type: ignore[arg-type]
    assert "code" not in query
    assert query["iss"] == [ISSUER]  # RFC 9207
    assert query.get("state") == ([state] if state is not None else None)
    return query["error"][0]


# --- sign-in before anything is redirected (UI-10, RFC 9700 §4.11.2) ------------------------


@pytest.mark.parametrize(
    "overrides", [{"scope": "invalid-scope"}, {"response_type": "bogus"}, {}, {"prompt": "none"}]
)
def test_ui10_signed_out_users_go_to_the_login_page_first(
    client: SyncClient, world: World, overrides: dict[str, str]
) -> None:
    response = authorize(client, world.apps["E"], **{"scope": "read:me", **overrides})
    assert response.status_code == 303
    target = response.headers["location"]
    assert target.startswith("/login?next=%2Fauthorize%3F")
    assert "evil.test" not in target.split("next=")[0]


def test_after_sign_in_the_user_returns_to_the_authorize_request(
    client: SyncClient, world: World
) -> None:
    first = authorize(client, world.apps["A"])
    login_page = client.get(first.headers["location"])
    form = main_form(login_page.text)
    assert form.value("next").startswith("/authorize?")
    signed_in = client.post(
        "/login",
        data={
            "csrf": form.value("csrf"),
            "next": form.value("next"),
            "email": world.emails["edward"],
            "password": "correct horse battery staple",
        },
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == form.value("next")
    page = client.get(signed_in.headers["location"])
    assert page.status_code == 200 and "App A" in page.text


def test_the_login_page_allows_the_apps_origin_as_a_form_target(
    client: SyncClient, world: World
) -> None:
    first = authorize(client, world.apps["A"])
    page = client.get(first.headers["location"])
    assert "form-action 'self' https://app-a.test;" in page.headers["content-security-policy"]


# --- error redirects (RFC 6749 §4.1.2.1) ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code token"}, "unsupported_response_type"),
        ({"response_type": "id_token"}, "unsupported_response_type"),
        ({"response_type": "none"}, "unsupported_response_type"),
        ({"scope": "manage:jira-configuration"}, "invalid_scope"),
        ({"scope": "read:jira-work <svg onload=alert(1)>"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"audience": "api.evil.test"}, "invalid_request"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "urn:x"}, "request_not_supported"),
    ],
)
def test_ph07_pk04_problems_redirect_with_error_state_and_iss(
    edward: SyncClient, world: World, overrides: dict[str, str | None], code: str
) -> None:
    assert error_of(authorize(edward, world.apps["A"], **overrides)) == code


@pytest.mark.parametrize(
    "pkce",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge_method": "s256"},
        {"code_challenge_method": "unknown"},
        {"code_challenge_method": None},
        {"code_challenge": "a" * 42},
        {"code_challenge": "a" * 44},
        {"code_challenge": "+" * 43},
        {"code_challenge": "/" * 43},
        {"code_challenge": "=" * 43},
    ],
)
def test_pk04_pk06_only_well_formed_s256_challenges_pass(
    edward: SyncClient, world: World, pkce: dict[str, str | None]
) -> None:
    assert error_of(authorize(edward, world.apps["N"], **pkce)) == "invalid_request"


@pytest.mark.parametrize("challenge", [None, ""])
def test_pk07_a_public_client_must_send_pkce(
    edward: SyncClient, world: World, challenge: str | None
) -> None:
    response = authorize(
        edward, world.apps["N"], code_challenge=challenge, code_challenge_method=None
    )
    assert error_of(response) == "invalid_request"
    assert "PKCE" in location(response)[1]["error_description"][0]


def test_pk09_a_confidential_client_with_s256_gets_a_code_bound_to_the_challenge(
    edward: SyncClient, world: World
) -> None:
    response = consent(
        edward,
        world.apps["A"],
        world.sites["S1"].cloud_id,
        code_challenge=CHALLENGE,
        code_challenge_method="S256",
    )
    assert stored_code(world.store, code_of(response)).code_challenge == CHALLENGE


def test_ph01_success_redirects_carry_iss(edward: SyncClient, world: World) -> None:
    response = consent(edward, world.apps["A"], world.sites["S1"].cloud_id)
    assert location(response)[1]["iss"] == [ISSUER]


# --- repeated, empty, unknown parameters (PH-05, PH-06) -------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "response_type",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "audience",
    ],
)
@pytest.mark.parametrize("same", [True, False])
def test_ph05_a_repeated_parameter_is_invalid_request(
    edward: SyncClient, world: World, name: str, same: bool
) -> None:
    params = authorize_params(world.apps["N"])
    pairs = [*params.items(), (name, params[name] if same else params[name] + "x")]
    response = edward.get("/authorize?" + urlencode(pairs))
    echoed = None if name == "state" else "xyz"  # an ambiguous state is not echoed
    assert error_of(response, state=echoed) == "invalid_request"


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_ph05_a_repeated_client_id_or_redirect_uri_gets_the_error_page(
    edward: SyncClient, world: World, name: str
) -> None:
    params = authorize_params(world.apps["A"])
    response = edward.get("/authorize?" + urlencode([*params.items(), (name, params[name])]))
    assert is_error_page(response)


def test_ph06_unknown_parameters_are_ignored(edward: SyncClient, world: World) -> None:
    params = authorize_params(world.apps["A"])
    response = edward.get(
        "/authorize?" + urlencode([*params.items(), ("foo", "bar"), ("nonce", "n")])
    )
    assert response.status_code == 200
    assert location(decide(edward, response, world.sites["S1"].cloud_id))[1]["code"]


def test_ph06_an_empty_state_is_left_out_of_the_response(edward: SyncClient, world: World) -> None:
    response = consent(edward, world.apps["A"], world.sites["S1"].cloud_id, state="")
    assert "state" not in location(response)[1]


# --- sizes, odd characters and order (PH-08, PH-09, PH-14) ----------------------------------


@pytest.mark.parametrize("size", [1024, 8192])
def test_ph08_a_long_state_round_trips_exactly(edward: SyncClient, world: World, size: int) -> None:
    state = ("αβ/+ &=" + "x" * 57) * (size // 64)
    response = consent(edward, world.apps["A"], world.sites["S1"].cloud_id, state=state)
    assert location(response)[1]["state"] == [state]


@pytest.mark.parametrize(
    "overrides", [{"state": "s" * 65536}, {"scope": " ".join(["read:jira-work"] * 10_000)}]
)
def test_ph08_huge_requests_are_refused_with_414(
    edward: SyncClient, world: World, app: object, overrides: dict[str, str]
) -> None:
    from .browser_client import raw_request

    query = urlencode(authorize_params(world.apps["A"], **overrides)).encode()
    status, headers, _ = raw_request(app, "GET", "/authorize", query)  # type: ignore[arg-type]
    assert status == 414 and "location" not in headers


def test_ph09_crlf_in_state_is_percent_encoded_in_location(
    edward: SyncClient, world: World
) -> None:
    response = consent(
        edward, world.apps["A"], world.sites["S1"].cloud_id, state="x\r\nSet-Cookie: a=b"
    )
    assert "\r" not in response.headers["location"] and "%0D%0A" in response.headers["location"]
    assert "a" not in {c.name for c in edward.cookies.jar}
    assert location(response)[1]["state"] == ["x\r\nSet-Cookie: a=b"]


def test_ph09_nul_in_state_is_invalid_request_without_echo(
    edward: SyncClient, world: World
) -> None:
    assert error_of(authorize(edward, world.apps["A"], state="a\x00b"), state=None) == (
        "invalid_request"
    )


@pytest.mark.parametrize(
    "query",
    ["client_id=%00", "client_id=a%00b&redirect_uri=x", "client_id=%ED%A0%80", "client_id=%C0%AF"],
)
def test_ph09_odd_bytes_in_client_id_get_the_error_page(edward: SyncClient, query: str) -> None:
    assert is_error_page(authorize_raw(edward, query))


def test_ph09_lone_surrogate_bytes_in_state_do_not_break_anything(
    edward: SyncClient, world: World
) -> None:
    params = authorize_params(world.apps["A"], state=None)
    response = authorize_raw(edward, urlencode(params) + "&state=%ED%A0%80%C0%AF")
    assert response.status_code == 200


def test_ph14_scope_and_parameter_order_do_not_matter(edward: SyncClient, world: World) -> None:
    site = world.sites["S1"].cloud_id
    forward = authorize_params(world.apps["A"], scope="read:jira-work write:jira-work read:me")
    backward = dict(
        reversed(
            list(
                authorize_params(
                    world.apps["A"], scope="read:me write:jira-work read:jira-work"
                ).items()
            )
        )
    )
    codes = []
    for params in (forward, backward):
        page = edward.get("/authorize?" + urlencode(list(params.items())))
        assert page.status_code == 200
        codes.append(stored_code(world.store, code_of(decide(edward, page, site))))
    assert set(codes[0].scopes) == set(codes[1].scopes)
    assert codes[0].sites == codes[1].sites


# --- who may authorize ----------------------------------------------------------------------


def test_a_private_app_is_refused_to_anyone_but_its_owner(edward: SyncClient, world: World) -> None:
    response = authorize(edward, world.apps["P"])
    assert error_of(response) == "access_denied"
    assert "private" in location(response)[1]["error_description"][0]


def test_a_private_apps_owner_may_authorize_it(client: SyncClient, world: World) -> None:
    dev_site = world.site("DevSite", "dev")
    login(client, world.emails["dev"])
    response = consent(client, world.apps["P"], dev_site.cloud_id)
    assert location(response)[1]["code"]


def test_a_deactivated_account_is_signed_out_and_sent_to_login(
    edward: SyncClient, world: World
) -> None:
    with world.store.transaction() as tx:
        tx.accounts.set_status(world.accounts["edward"], AccountStatus.INACTIVE)
    response = authorize(edward, world.apps["A"])
    assert response.status_code == 303 and response.headers["location"].startswith("/login?")


# --- remembered consent and prompt (UI-08) --------------------------------------------------


def granted(client: SyncClient, world: World, *sites: str, scope: str = "read:jira-work") -> None:
    ids = [world.sites[s].cloud_id for s in sites]
    assert code_of(consent(client, world.apps["A"], *ids, scope=scope))


def test_ui08_without_prompt_a_granted_request_gets_a_code_at_once(
    edward: SyncClient, world: World
) -> None:
    granted(edward, world, "S1")
    response = authorize(edward, world.apps["A"], prompt=None)
    code = stored_code(world.store, code_of(response))
    assert code.sites == frozenset({world.sites["S1"].cloud_id})
    assert code.scopes == ("read:jira-work",)


def test_ui08_prompt_none_with_a_grant_gets_a_code(edward: SyncClient, world: World) -> None:
    granted(edward, world, "S1")
    assert code_of(authorize(edward, world.apps["A"], prompt="none"))


@pytest.mark.parametrize("prompt", [None, "none"])
def test_ui08_asking_for_more_scopes_is_never_silent(
    edward: SyncClient, world: World, prompt: str | None
) -> None:
    granted(edward, world, "S1")
    response = authorize(
        edward, world.apps["A"], prompt=prompt, scope="read:jira-work write:jira-work"
    )
    if prompt == "none":
        assert error_of(response) == "consent_required"
    else:
        assert response.status_code == 200 and "Create and manage issues" in response.text


def test_ui08_prompt_none_without_a_grant_is_consent_required(
    edward: SyncClient, world: World
) -> None:
    assert error_of(authorize(edward, world.apps["A"], prompt="none")) == "consent_required"


@pytest.mark.parametrize("prompt", ["consent", "login"])
def test_prompt_consent_or_login_always_shows_the_page(
    edward: SyncClient, world: World, prompt: str
) -> None:
    granted(edward, world, "S1")
    assert authorize(edward, world.apps["A"], prompt=prompt).status_code == 200


def test_changing_the_apps_scopes_asks_again(edward: SyncClient, world: World) -> None:
    granted(edward, world, "S1")
    with world.store.transaction() as tx:
        app = tx.apps.get(world.apps["A"].client_id)
        assert app is not None
        tx.apps.update(dataclasses.replace(app, scopes_version=app.scopes_version + 1))
    assert authorize(edward, world.apps["A"], prompt=None).status_code == 200


def test_remembered_consent_covers_only_sites_still_reachable(
    edward: SyncClient, world: World
) -> None:
    granted(edward, world, "S1", "S2")
    with world.store.transaction() as tx:
        tx.memberships.remove(world.sites["S2"].cloud_id, world.accounts["edward"])
    code = stored_code(world.store, code_of(authorize(edward, world.apps["A"], prompt=None)))
    assert code.sites == frozenset({world.sites["S1"].cloud_id})


def test_sharing_apps_are_open_to_everyone(edward: SyncClient, world: World) -> None:
    assert world.apps["A"].distribution is Distribution.SHARING
    assert authorize(edward, world.apps["A"]).status_code == 200
