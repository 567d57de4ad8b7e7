"""Protocol hygiene and bad input at the token endpoint (catalogue PH-03, 04, 05, 07, 08,
10, 11): every refusal is a 4xx JSON ``{"error", "error_description"}``, never a 5xx."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from .conftest import World

ENDPOINTS = ["/oauth/token", "/oauth/revoke", "/oauth/introspect"]


def assert_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert set(body) <= {"error", "error_description"}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def code_fields(world: World) -> dict[str, str]:
    c = world.clients["A"]
    return {
        "grant_type": "authorization_code",
        "code": world.authorization_code("A"),
        "redirect_uri": c.callback,
        "client_id": c.id,
        "client_secret": c.secret or "",
    }


def post_raw(world: World, content: bytes | str, content_type: str | None,
             path: str = "/oauth/token", **headers: str) -> httpx.Response:  # fmt: skip
    all_headers = dict(headers)
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return world.http().post(path, content=content, headers=all_headers)


# --- methods (PH-04) ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "PROPFIND", "TRACE"])
def test_other_methods_get_a_json_405_with_allow(world: World, path: str, method: str) -> None:
    fields = code_fields(world)
    response = world.http().request(method, path + "?" + urlencode(fields))
    assert_error(response, 405, "invalid_request")
    assert "POST" in response.headers["allow"]
    again = world.http().post(
        "/oauth/token", content=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert again.status_code == 200  # nothing was issued or burnt by the wrong method


@pytest.mark.parametrize("path", ENDPOINTS)
def test_head_and_options_without_cors_are_405(world: World, path: str) -> None:
    for method in ("HEAD", "OPTIONS"):
        response = world.http().request(method, path)
        assert response.status_code == 405
        assert "POST" in response.headers["allow"]


def test_method_override_headers_and_fields_are_ignored(world: World) -> None:
    fields = code_fields(world)
    fields["_method"] = "GET"
    response = world.http().post(
        "/oauth/token", content=urlencode(fields), headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-HTTP-Method-Override": "DELETE", "X-HTTP-Method": "GET",
        },
    )  # fmt: skip
    assert response.status_code == 200, response.text


def test_metadata_endpoints_refuse_post(world: World) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/jwks.json"):
        assert world.http().post(path).status_code == 405


# --- grant types (PH-07) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "grant_type",
    ["password", "client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer",
     "AUTHORIZATION_CODE", "authorization_code ", "token"],
)  # fmt: skip
def test_unsupported_grant_types_are_400(world: World, grant_type: str) -> None:
    fields = code_fields(world) | {"grant_type": grant_type, "username": "e", "password": "p"}
    response = world.token(None, **fields)
    assert_error(response, 400, "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(world: World) -> None:
    fields = code_fields(world)
    del fields["grant_type"]
    assert_error(world.token(None, **fields), 400, "invalid_request")


def test_unknown_parameters_are_ignored(world: World) -> None:
    fields = code_fields(world) | {"foo": "bar", "request": "x.y.z", "nonce": "n"}
    assert world.token(None, **fields).status_code == 200


def test_empty_parameters_count_as_absent(world: World) -> None:
    fields = code_fields(world) | {"code_verifier": "", "scope": ""}
    assert world.token(None, **fields).status_code == 200


# --- repeated parameters (PH-05) ----------------------------------------------------------


REPEATABLE = ["grant_type", "code", "redirect_uri", "client_id", "client_secret",
              "code_verifier", "refresh_token", "scope"]  # fmt: skip


@pytest.mark.parametrize("name", REPEATABLE)
@pytest.mark.parametrize("same", [True, False], ids=["same", "different"])
def test_repeated_form_parameters_are_refused(world: World, name: str, same: bool) -> None:
    fields = code_fields(world)
    pairs = list(fields.items())
    first = fields.get(name, "x")
    pairs += [(name, first if same else first + "2")]
    if name not in fields:
        pairs.append((name, first if same else "y"))
    response = post_raw(world, urlencode(pairs), "application/x-www-form-urlencoded")
    assert_error(response, 400, "invalid_request")
    assert world.token(None, **fields).status_code == 200  # and nothing was burnt


@pytest.mark.parametrize("name", ["grant_type", "code", "client_id", "client_secret"])
def test_duplicate_json_keys_are_refused(world: World, name: str) -> None:
    fields = code_fields(world)
    text = json.dumps(fields)[:-1] + f', {json.dumps(name)}: "other"}}'
    response = post_raw(world, text, "application/json")
    assert_error(response, 400, "invalid_request")


def test_parameters_in_the_query_and_the_body_are_refused(world: World) -> None:
    fields = code_fields(world)
    response = post_raw(
        world, urlencode(fields), "application/x-www-form-urlencoded",
        path="/oauth/token?grant_type=authorization_code",
    )  # fmt: skip
    assert_error(response, 400, "invalid_request")
    response = post_raw(world, json.dumps(fields), "application/json",
                        path="/oauth/token?code=" + fields["code"])  # fmt: skip
    assert_error(response, 400, "invalid_request")


# --- content types (PH-11) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "multipart/form-data; boundary=x", "application/xml",
     "application/json; charset=utf-7", "application/x-www-form-urlencoded; charset=utf-16",
     "application/jsonx", "application/x-www-form-urlencoded-x", ""],
)  # fmt: skip
def test_unsupported_content_types_are_refused(world: World, content_type: str | None) -> None:
    fields = code_fields(world)
    response = post_raw(world, urlencode(fields), content_type)
    assert_error(response, 400, "invalid_request")


def test_json_text_labelled_as_form_is_refused(world: World) -> None:
    response = post_raw(world, json.dumps(code_fields(world)), "application/x-www-form-urlencoded")
    assert response.status_code in (400, 401)
    assert "error" in response.json()


def test_form_text_labelled_as_json_is_refused(world: World) -> None:
    response = post_raw(world, urlencode(code_fields(world)), "application/json")
    assert_error(response, 400, "invalid_request")


def test_json_with_charset_utf8_and_odd_case_media_type_is_accepted(world: World) -> None:
    fields = code_fields(world)
    response = post_raw(world, json.dumps(fields), "Application/JSON; charset=UTF-8")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("value", [True, 1, None, 1.5, ["a", "b"], {"$ne": None}, []])
@pytest.mark.parametrize("name", ["grant_type", "code", "redirect_uri", "client_id",
                                  "client_secret"])  # fmt: skip
def test_non_string_json_values_are_refused(world: World, name: str, value: Any) -> None:
    fields: dict[str, Any] = code_fields(world)
    fields[name] = value
    response = post_raw(world, json.dumps(fields), "application/json")
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("text", ["[]", '"x"', "1", "null", "", "{", "\ufeff{}", '{"a":1}x'])
def test_json_bodies_that_are_not_one_object_are_refused(world: World, text: str) -> None:
    response = post_raw(world, text.encode(), "application/json")
    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("opener,closer", [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_json_is_refused(world: World, opener: str, closer: str) -> None:
    depth = 10_000 if opener == "[" else 5_000
    text = '{"grant_type": ' + opener * depth + "1" + closer * depth + "}"
    response = post_raw(world, text, "application/json")
    assert response.status_code in (400, 413)
    assert response.json()["error"] == "invalid_request"


# --- sizes (PH-08) ------------------------------------------------------------------------


def test_huge_body_is_refused_with_413(world: World) -> None:
    big = "code=" + "a" * (10 * 1024 * 1024)
    response = post_raw(world, big, "application/x-www-form-urlencoded")
    assert_error(response, 413, "invalid_request")


def test_huge_streamed_body_without_length_is_refused(world: World) -> None:
    def chunks() -> Any:
        for _ in range(200):
            yield b"a" * 4096

    async def achunks() -> Any:
        for chunk in chunks():
            yield chunk

    response = world.http().post(
        "/oauth/token", content=achunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert_error(response, 413, "invalid_request")


def test_bogus_content_length_is_refused(world: World) -> None:
    response = post_raw(world, b"a=b", "application/x-www-form-urlencoded", **{
        "Content-Length": "3"})  # fmt: skip
    assert response.status_code == 400 or response.status_code == 401


def test_many_form_fields_are_refused(world: World) -> None:
    pairs = [(f"f{i}", "x") for i in range(100)]
    response = post_raw(world, urlencode(pairs), "application/x-www-form-urlencoded")
    assert_error(response, 400, "invalid_request")
    many = "&".join(f"f{i}=x" for i in range(50_000))
    response = post_raw(world, many, "application/x-www-form-urlencoded")
    assert_error(response, 413, "invalid_request")


def test_long_values_are_handled(world: World) -> None:
    fields = code_fields(world) | {"code": "c" * 60_000}
    response = world.token(None, **fields)
    assert_error(response, 403, "invalid_grant")


# --- injection and odd characters (PH-09, PH-10) ------------------------------------------


INJECTIONS = ["' OR '1'='1", "1' AND SLEEP(3)--", '"; DROP TABLE grants;--', "%27", "\\",
              "${jndi:ldap://x}", "*", "%", "_", "Ａ", "а"]  # fmt: skip


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_strings_get_normal_errors_on_every_store(any_world: World, payload: str) -> None:
    world = any_world
    fields = code_fields(world)
    for name in ("client_id", "code", "redirect_uri", "grant_type"):
        response = world.token(None, **(fields | {name: payload}))
        assert 400 <= response.status_code < 500, (name, response.text)
        assert "error" in response.json()
        assert "sql" not in response.text.lower()
    refresh = world.token("A", grant_type="refresh_token", refresh_token=payload)
    assert_error(refresh, 403, "invalid_grant")
    assert world.token(None, **code_fields(world)).status_code == 200


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x7f", "\n", "\ud800"])
def test_control_characters_and_lone_surrogates_are_invalid_request(
    any_world: World, bad: str
) -> None:
    world = any_world
    fields = code_fields(world)
    for name in ("client_id", "code", "client_secret", "refresh_token", "scope", bad):
        body = json.dumps(fields | {name: f"x{bad}y"})
        response = post_raw(world, body, "application/json")
        assert_error(response, 400, "invalid_request")


def test_percent_encoded_nul_and_overlong_utf8_in_a_form(world: World) -> None:
    fields = code_fields(world)
    base = urlencode(fields)
    for tail in ("&scope=%00", "&scope=%C0%AF", "&scope=%ED%A0%80", "&scope=%FF"):
        response = post_raw(world, base + tail, "application/x-www-form-urlencoded")
        assert_error(response, 400, "invalid_request")


def test_errors_of_every_kind_are_never_cached(world: World) -> None:
    fields = code_fields(world)
    for response in (
        world.token(None, **(fields | {"grant_type": "password"})),
        world.token(None, **(fields | {"client_secret": "x"})),
        world.token(None, **(fields | {"code": "nope"})),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"
