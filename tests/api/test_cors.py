"""CO-01, CO-03, CO-04: CORS on the API face, and the token-endpoint helper (CONTRACT §5.5)."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threelo.settings import Settings
from threelo.web.api.cors import is_preflight, token_endpoint_policy

from .conftest import ISSUER, Cast, ThreadServer, World, bearer, make_app

EVIL_ORIGINS = ["https://evil.test", "null", "https://app-a.test.evil.test",
                "https://evilapp-a.test", "http://app-a.test"]


def paths(cast: Cast) -> list[str]:
    return ["/me", "/oauth/token/accessible-resources",
            f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/issue"]


@pytest.mark.parametrize("origin", EVIL_ORIGINS)
def test_co01_any_origin_as_star_never_with_credentials(
    client: httpx.Client, world: World, cast: Cast, origin: str
) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    for path in paths(cast):
        for r in (client.get(path, headers={**bearer(token), "Origin": origin}),
                  client.options(path, headers={"Origin": origin,
                                                "Access-Control-Request-Method": "GET"})):
            assert r.headers["access-control-allow-origin"] == "*"
            assert "access-control-allow-credentials" not in r.headers
        assert "X-RateLimit-Remaining" in r.headers.get("access-control-expose-headers", "") or \
            r.status_code == 204


def test_co03_preflight_without_token_never_reaches_the_product(
    client: httpx.Client, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from threelo.products.jira.service import JiraService

    def boom(*args: object) -> None:
        raise AssertionError("preflight reached the product")

    monkeypatch.setattr(JiraService, "handle", boom)
    r = client.options(f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/issue", headers={
        "Origin": "https://spa.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 204
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert not {h for h in allowed if h.startswith(("x-user", "x-threelo", "x-forwarded"))}
    methods = r.headers["access-control-allow-methods"]
    assert "POST" in methods and "PROPFIND" not in methods
    assert 0 < int(r.headers["access-control-max-age"]) <= 86400
    for method, headers in (("DELETE", ""), ("PROPFIND", ""), ("GET", "x-user-id")):
        r = client.options(f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/issue", headers={
            "Origin": "https://spa.test", "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers})
        assert r.status_code == 204
        assert "x-user-id" not in r.headers["access-control-allow-headers"].lower()
        assert "PROPFIND" not in r.headers["access-control-allow-methods"]


def test_co01_allow_list_echoes_only_exact_origins_with_vary(world: World, cast: Cast) -> None:
    settings = Settings(issuer=ISSUER, secret_key="k" * 32,
                        cors_origins=("https://spa.example",))
    with ThreadServer(make_app(world, settings=settings)) as srv, \
            httpx.Client(base_url=srv.url) as client:
        ok = client.options("/me", headers={"Origin": "https://spa.example",
                                            "Access-Control-Request-Method": "GET"})
        assert ok.headers["access-control-allow-origin"] == "https://spa.example"
        assert "Origin" in ok.headers["vary"]
        for origin in [*EVIL_ORIGINS, "https://spa.example.evil.test"]:
            r = client.get("/me", headers={"Origin": origin})
            assert "access-control-allow-origin" not in r.headers
            assert "Origin" in r.headers["vary"]
            assert "access-control-allow-credentials" not in r.headers


def test_co04_token_endpoint_helper_answers_only_registered_origins() -> None:
    policy = token_endpoint_policy(["https://spa.example"])

    async def token(request: Request) -> Response:
        if is_preflight(request):
            return policy.preflight(request)
        return policy.decorate(Response("{}"), request.headers.get("origin"))

    app = Starlette(routes=[Route("/oauth/token", token, methods=["POST", "OPTIONS"])])
    with ThreadServer(app) as srv, httpx.Client(base_url=srv.url) as client:
        r = client.options("/oauth/token", headers={"Origin": "https://spa.example",
                                                    "Access-Control-Request-Method": "POST"})
        assert r.headers["access-control-allow-origin"] == "https://spa.example"
        assert r.headers["access-control-allow-methods"] == "POST"
        assert "access-control-allow-credentials" not in r.headers
        r = client.post("/oauth/token", headers={"Origin": "https://evil.test"})
        assert "access-control-allow-origin" not in r.headers
        r = client.post("/oauth/token", headers={"Origin": "https://spa.example"})
        assert r.headers["access-control-allow-origin"] == "https://spa.example"
