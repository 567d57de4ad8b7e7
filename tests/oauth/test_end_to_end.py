"""The token side behind the real authorize front: codes come from the consent page."""

from __future__ import annotations

from .conftest import INVALID_CODE, INVALID_RT, VERIFIER, World
from .front_flow import front_code


def test_consent_code_exchanges_and_refreshes(world: World) -> None:
    code = front_code(world, "A")
    response = world.redeem("A", code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "read:jira-work offline_access"
    assert world.api(body["access_token"]) is not None
    again = world.refresh("A", body["refresh_token"])
    assert again.status_code == 200, again.text


def test_consent_code_is_single_use_and_replay_revokes(world: World) -> None:
    code = front_code(world, "A")
    body = world.redeem("A", code).json()
    replay = world.redeem("A", code)
    assert replay.status_code == 403 and replay.json() == INVALID_CODE
    refused = world.refresh("A", body["refresh_token"])
    assert refused.status_code == 403 and refused.json() == INVALID_RT
    assert world.api(body["access_token"]) is None


def test_public_client_through_the_front_with_pkce(world: World) -> None:
    code = front_code(world, "N")
    wrong = world.redeem("N", code, code_verifier="x" * 43)
    assert wrong.status_code == 403
    code = front_code(world, "N")
    ok = world.redeem("N", code, code_verifier=VERIFIER)
    assert ok.status_code == 200, ok.text


def test_consent_code_bound_to_redirect_uri_and_client(world: World) -> None:
    code = front_code(world, "A")
    assert world.redeem("A", code, redirect_uri="https://app-a.test/other").status_code == 403
    code = front_code(world, "A")
    stolen = world.token("B", grant_type="authorization_code", code=code,
                         redirect_uri=world.clients["A"].callback)  # fmt: skip
    assert stolen.status_code == 403


def test_without_offline_access_the_front_code_gives_no_refresh_token(world: World) -> None:
    code = front_code(world, "A", scopes="read:jira-work")
    body = world.redeem("A", code).json()
    assert "refresh_token" not in body
