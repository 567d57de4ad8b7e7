"""Client authentication at the token endpoint (RFC 6749 §2.3, §5.2; catalogue CA)."""

from __future__ import annotations

import base64

import pytest

from threelo.core.models import App
from threelo.core.secret_values import digest

from .conftest import CHALLENGE, VERIFIER, World, basic

UNAUTHORIZED = {"error": "invalid_client", "error_description": "Unauthorized"}


def exchange_fields(world: World, key: str = "A") -> dict[str, str]:
    c = world.clients[key]
    fields = {
        "grant_type": "authorization_code",
        "code": world.authorization_code(key),
        "redirect_uri": c.callback,
    }
    if c.app.public:
        fields["code_verifier"] = VERIFIER
    return fields


def assert_basic_challenge(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.json() == UNAUTHORIZED  # type: ignore[attr-defined]
    challenge = response.headers["www-authenticate"]  # type: ignore[attr-defined]
    assert challenge.startswith("Basic realm=")


def test_wrong_secret_by_basic_is_401_with_a_challenge(world: World) -> None:
    c = world.clients["A"]
    response = world.token(
        None, headers={"Authorization": basic(c.id, (c.secret or "") + "x")},
        **exchange_fields(world),
    )  # fmt: skip
    assert_basic_challenge(response)


def test_wrong_secret_in_the_body_is_401_without_a_challenge(world: World) -> None:
    c = world.clients["A"]
    response = world.token(
        None, client_id=c.id, client_secret=(c.secret or "") + "x", **exchange_fields(world)
    )
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
    assert "www-authenticate" not in response.headers


def test_unknown_client_is_401(world: World) -> None:
    response = world.token(None, client_id="nobody", client_secret="x", **exchange_fields(world))
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_no_client_at_all_is_401(world: World) -> None:
    response = world.token(None, **exchange_fields(world))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_confidential_client_without_secret_is_refused_even_with_pkce(world: World) -> None:
    """CA-02: PKCE does not replace client authentication."""
    fields = exchange_fields(world)
    fields["code"] = world.authorization_code("A", challenge=CHALLENGE)
    response = world.token("A", auth="none", code_verifier=VERIFIER, **fields)
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_confidential_refresh_without_secret_is_refused(world: World) -> None:
    rt = world.tokens("A")["refresh_token"]
    response = world.token("A", auth="none", grant_type="refresh_token", refresh_token=rt)
    assert response.status_code == 401
    assert world.refresh("A", rt).status_code == 200  # the refused attempt spent nothing


@pytest.mark.parametrize("same", [True, False], ids=["same-secret", "other-secret"])
def test_two_authentication_methods_in_one_request_are_refused(world: World, same: bool) -> None:
    """CA-03 (RFC 6749 §2.3: MUST NOT use more than one method)."""
    c = world.clients["A"]
    secret = c.secret or ""
    response = world.token(
        "A", auth="basic", client_secret=secret if same else secret + "x",
        **exchange_fields(world),
    )  # fmt: skip
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_credentials_in_the_query_string_are_refused(world: World) -> None:
    """CA-04 (RFC 6749 §2.3.1: never in the URI)."""
    c = world.clients["A"]
    response = world.token(
        None, path=f"/oauth/token?client_id={c.id}&client_secret={c.secret}",
        **exchange_fields(world),
    )  # fmt: skip
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert (c.secret or "?") not in response.text


def test_basic_identity_differing_from_body_client_id_is_refused(world: World) -> None:
    """CA-06."""
    response = world.token(
        "A", auth="basic", client_id=world.clients["B"].id, **exchange_fields(world)
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_repeated_authorization_header_is_refused(world: World) -> None:
    c = world.clients["A"]
    http = world.http()
    from urllib.parse import urlencode

    value = basic(c.id, c.secret or "")
    response = http.post(
        "/oauth/token",
        content=urlencode(exchange_fields(world)),
        headers=[
            ("content-type", "application/x-www-form-urlencoded"),
            ("authorization", value),
            ("authorization", value),
        ],
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic " + b64(b"no-colon-here"),
        "Basic " + b64(b":secret-without-id"),
        "Basic " + b64(b"\xff\xfe:bad-utf8"),
        "Basic " + b64(b"id%ZZ:x"),
        "Basic ",
        "Basic",
        "Bearer abc.def.ghi",
        "Digest username=x",
        "Basic " + "A" * 8192,
        "Basic " + b64(b"a\x00b:c"),
    ],
    ids=[
        "non-base64", "no-colon", "empty-id", "bad-utf8", "bad-escape", "empty", "bare",
        "bearer", "digest", "8kb", "nul",
    ],
)  # fmt: skip
def test_malformed_basic_headers_are_401_never_500(world: World, header: str) -> None:
    """CA-05."""
    response = world.token(None, headers={"Authorization": header}, **exchange_fields(world))
    assert_basic_challenge(response)


def test_lower_case_basic_scheme_is_accepted(world: World) -> None:
    c = world.clients["A"]
    header = "basic " + basic(c.id, c.secret or "").split(" ", 1)[1]
    response = world.token(None, headers={"Authorization": header}, **exchange_fields(world))
    assert response.status_code == 200, response.text


def test_basic_credentials_are_form_urlencoded_before_base64(world: World) -> None:
    """RFC 6749 §2.3.1: an id or secret with ``:``, ``%``, ``+`` or a space decodes exactly."""
    odd_id, odd_secret = "odd:id+%/é", "s:e%c+r et/ü"
    base = world.clients["A"].app
    world.clients["A"].app = _put(world, App(
        client_id=odd_id, name="Odd", owner_id=base.owner_id, callback_urls=base.callback_urls,
        scopes=base.scopes, secret_digest=digest(odd_secret),
    ))  # fmt: skip
    world.clients["A"].secret = odd_secret
    fields = exchange_fields(world)
    ok = world.token(None, headers={"Authorization": basic(odd_id, odd_secret)}, **fields)
    assert ok.status_code == 200, ok.text
    raw = "Basic " + b64(f"{odd_id}:{odd_secret}".encode())  # not form-encoded: "+" is a space
    refused = world.token(None, headers={"Authorization": raw}, **exchange_fields(world))
    assert refused.status_code == 401


def _put(world: World, app: App) -> App:
    with world.store.transaction() as tx:
        tx.apps.add(app)
    return app


def test_public_client_sending_a_secret_is_refused(world: World) -> None:
    """CA-09b, pinned: rejected, not ignored."""
    response = world.token(
        "N", auth="raw", client_id=world.clients["N"].id, client_secret="made-up",
        **exchange_fields(world, "N"),
    )  # fmt: skip
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_public_client_with_basic_and_an_empty_password_is_accepted(world: World) -> None:
    """What requests-oauthlib sends for a client without secret: ``Basic base64(id:)``."""
    response = world.token(
        None, headers={"Authorization": basic(world.clients["N"].id, "")},
        **exchange_fields(world, "N"),
    )  # fmt: skip
    assert response.status_code == 200, response.text


def test_confidential_client_with_basic_and_an_empty_password_is_refused(world: World) -> None:
    response = world.token(
        None, headers={"Authorization": basic(world.clients["A"].id, "")},
        **exchange_fields(world),
    )  # fmt: skip
    assert_basic_challenge(response)


def test_deleted_client_is_refused_and_its_tokens_die(world: World) -> None:
    """CA-10."""
    tokens = world.tokens("A")
    with world.store.transaction() as tx:
        tx.apps.delete(world.clients["A"].id)
    response = world.refresh("A", tokens["refresh_token"])
    assert response.status_code == 401 and response.json() == UNAUTHORIZED
