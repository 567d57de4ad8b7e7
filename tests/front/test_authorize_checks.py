"""The authorization request checks on plain values (no HTTP)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from threelo.core.authorize import AuthorizationRequest, Rejection, validate_authorization_request
from threelo.core.platform import Platform
from threelo.core.policy import Policy

from .conftest import World
from .helpers import CHALLENGE, authorize_params


def run(world: World, pairs: list[tuple[str, str]]) -> AuthorizationRequest | Rejection:
    platform = Platform(
        store=world.store, policy=Policy(issuer="https://as.test"), clock=world.clock
    )
    with world.store.reader() as tx:
        return validate_authorization_request(pairs, tx.apps, platform)


def pairs_for(world: World, key: str = "A", **overrides: str | None) -> list[tuple[str, str]]:
    return list(authorize_params(world.apps[key], **overrides).items())


def rejected(result: AuthorizationRequest | Rejection) -> Rejection:
    assert isinstance(result, Rejection), result
    return result


def test_a_valid_request_comes_back_checked(world: World) -> None:
    result = run(world, pairs_for(world, scope="read:me read:jira-work offline_access"))
    assert isinstance(result, AuthorizationRequest)
    assert result.scopes == ("read:me", "read:jira-work", "offline_access")
    assert result.state == "xyz" and result.code_challenge is None
    assert result.forces_consent


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_repeating_client_id_or_redirect_uri_is_fatal(world: World, name: str) -> None:
    pairs = pairs_for(world)
    pairs.append((name, dict(pairs)[name]))
    result = rejected(run(world, pairs))
    assert result.fatal and result.redirect_uri is None


@pytest.mark.parametrize("client_id", [None, "", "nope", "a\x00b", "x" * 500, "é"])
def test_missing_unknown_or_odd_client_id_is_fatal(world: World, client_id: str | None) -> None:
    result = rejected(run(world, pairs_for(world, client_id=client_id)))
    assert result.fatal and result.error.code == "invalid_client"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "  "}, "invalid_scope"),
        ({"scope": "read:jira-work manage:jira-configuration"}, "invalid_scope"),
        ({"scope": "read:jira-work no:such-scope"}, "invalid_scope"),
        ({"audience": "api.evil.test"}, "invalid_request"),
        ({"prompt": "select_account"}, "invalid_request"),
        ({"prompt": "none consent"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://evil.test/req"}, "request_not_supported"),
        ({"state": "a\x00b"}, "invalid_request"),
    ],
)
def test_other_problems_are_redirected_with_their_rfc_code(
    world: World, overrides: dict[str, str | None], code: str
) -> None:
    result = rejected(run(world, pairs_for(world, **overrides)))
    assert not result.fatal
    assert result.redirect_uri == "https://app-a.test/callback"
    assert result.error.code == code


def test_a_nul_state_is_not_echoed(world: World) -> None:
    assert rejected(run(world, pairs_for(world, state="a\x00b"))).state is None


def test_audience_may_be_left_out(world: World) -> None:
    assert isinstance(run(world, pairs_for(world, audience=None)), AuthorizationRequest)


def test_empty_parameters_count_as_absent_and_unknown_ones_are_ignored(world: World) -> None:
    pairs = [*pairs_for(world, state="", audience="", prompt=""), ("foo", "bar"), ("foo", "baz")]
    result = run(world, pairs)
    assert isinstance(result, AuthorizationRequest)
    assert result.state is None and result.prompt == frozenset()


def test_prompt_login_is_answered_like_prompt_consent(world: World) -> None:
    result = run(world, pairs_for(world, prompt="login"))
    assert isinstance(result, AuthorizationRequest) and result.forces_consent


@pytest.mark.parametrize(
    "pkce",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge_method": "s256"},
        {"code_challenge_method": "S512"},
        {"code_challenge_method": None},
        {"code_challenge": None},
        {"code_challenge": CHALLENGE[:-1]},
        {"code_challenge": CHALLENGE + "A"},
        {"code_challenge": CHALLENGE[:-1] + "+"},
        {"code_challenge": CHALLENGE[:-1] + "/"},
        {"code_challenge": CHALLENGE[:-1] + "="},
        {"code_challenge": CHALLENGE[:-1] + "\x00"},
    ],
)
def test_pkce_is_s256_with_a_well_formed_challenge(
    world: World, pkce: dict[str, str | None]
) -> None:
    params = {"code_challenge": CHALLENGE, "code_challenge_method": "S256", **pkce}
    result = rejected(run(world, pairs_for(world, "N", **params)))
    assert result.error.code == "invalid_request" and not result.fatal


def test_a_confidential_client_may_send_pkce(world: World) -> None:
    result = run(world, pairs_for(world, code_challenge=CHALLENGE, code_challenge_method="S256"))
    assert isinstance(result, AuthorizationRequest) and result.code_challenge == CHALLENGE


def test_the_authorize_core_imports_no_web_framework() -> None:
    package = Path(__file__).resolve().parents[2] / "threelo" / "core" / "authorize"
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                for name in names:
                    assert not name.startswith(("starlette", "jinja2", "sqlalchemy", "httpx")), (
                        module.name,
                        name,
                    )
