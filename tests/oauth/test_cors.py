"""CORS at the token endpoint (CONTRACT §5.5; catalogue CO-01, CO-04): only origins of
public clients' callback URLs, never with credentials, nothing for anyone else."""

from __future__ import annotations

import httpx
import pytest

from threelo.web.oauth.cors import PublicOrigins, callback_origin

from .conftest import VERIFIER, World

SPA = "https://spa.test"
CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-methods",
                "access-control-allow-headers", "access-control-allow-credentials")  # fmt: skip


def preflight(world: World, origin: str, method: str = "POST", path: str = "/oauth/token",
              ) -> httpx.Response:  # fmt: skip
    return world.http().request("OPTIONS", path, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    })  # fmt: skip


def assert_no_cors(response: httpx.Response) -> None:
    for name in CORS_HEADERS:
        assert name not in response.headers, name


def test_preflight_from_a_public_clients_origin_is_allowed(world: World) -> None:
    response = preflight(world, SPA)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == SPA
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]
    assert 0 < int(response.headers["access-control-max-age"]) <= 3600


@pytest.mark.parametrize(
    "origin",
    ["https://evil.test", "null", "https://spa.test.evil.test", "https://evilspa.test",
     "http://spa.test", "https://spa.test:8443", "https://app-a.test", "https://app-b.test",
     "https://SPA.test.", "*"],
)  # fmt: skip
def test_preflight_from_any_other_origin_gets_no_cors(world: World, origin: str) -> None:
    response = preflight(world, origin)
    assert response.status_code >= 400
    assert_no_cors(response)


def test_preflight_for_another_method_gets_no_cors(world: World) -> None:
    response = preflight(world, SPA, method="DELETE")
    assert_no_cors(response)


def test_actual_request_of_the_public_client_from_its_origin_is_readable(world: World) -> None:
    code = world.authorization_code("W", scopes="read:me offline_access")
    response = world.redeem("W", code, headers={"Origin": SPA})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == SPA
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]
    refused = world.redeem("W", code, headers={"Origin": SPA})  # errors are readable too
    assert refused.status_code == 403
    assert refused.headers["access-control-allow-origin"] == SPA


def test_actual_request_of_a_confidential_client_gets_no_cors(world: World) -> None:
    response = world.redeem("A", world.authorization_code("A"), headers={"Origin": SPA})
    assert response.status_code == 200
    assert_no_cors(response)
    own = world.redeem("A", world.authorization_code("A"), headers={"Origin": "https://app-a.test"})
    assert_no_cors(own)


def test_actual_request_from_a_foreign_origin_gets_no_cors(world: World) -> None:
    code = world.authorization_code("W", scopes="read:me offline_access")
    response = world.redeem("W", code, headers={"Origin": "https://evil.test"})
    assert response.status_code == 200
    assert_no_cors(response)


def test_public_client_origin_does_not_open_other_endpoints(world: World) -> None:
    tokens = world.tokens("W", scopes="read:me offline_access")
    for path in ("/oauth/revoke", "/oauth/introspect"):
        assert_no_cors(preflight(world, SPA, path=path))
        response = world.token("W", path=path, token=tokens["refresh_token"],
                               headers={"Origin": SPA})  # fmt: skip
        assert response.status_code == 200
        assert_no_cors(response)
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/jwks.json"):
        assert_no_cors(world.http().get(path, headers={"Origin": SPA}))


def test_native_loopback_client_origin(world: World) -> None:
    """N's callback is ``http://127.0.0.1/callback``: its origin is exactly ``http://127.0.0.1``."""
    assert preflight(world, "http://127.0.0.1").status_code == 204
    assert_no_cors(preflight(world, "http://127.0.0.1:8080"))
    code = world.authorization_code("N")
    response = world.redeem(
        "N", code, code_verifier=VERIFIER, headers={"Origin": "http://127.0.0.1"}
    )
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1"


def test_new_public_client_is_seen_once_the_cache_expires(world: World) -> None:
    origins = PublicOrigins(world.store, ttl=0.0)
    assert "https://new-spa.test" not in origins
    world.client("X", ["https://new-spa.test/cb"], "read:me", public=True)
    assert "https://new-spa.test" in origins


@pytest.mark.parametrize(
    "url,origin",
    [("https://spa.test/app/cb", "https://spa.test"),
     ("https://SPA.Test:443/cb", "https://spa.test"),
     ("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080"),
     ("http://[::1]/cb", "http://[::1]"),
     ("http://localhost:80/cb", "http://localhost"),
     ("com.example.app:/cb", None),
     ("https://host:99999/cb", None)],
)  # fmt: skip
def test_callback_origin(url: str, origin: str | None) -> None:
    assert callback_origin(url) == origin
