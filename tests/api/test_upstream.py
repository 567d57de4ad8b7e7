"""External products: identity as a signed assertion, spoofed headers dropped (GW-06),
upstream down → 502, slow → 504 within the configured timeout."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from threelo.settings import Settings

from .conftest import ISSUER, Cast, ThreadServer, World, bearer, free_port, make_app


class Stub(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]]
    delay: float = 0.0

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append({"method": self.command, "path": self.path,
                                "headers": dict(self.headers.items()), "body": body})
        time.sleep(type(self).delay)
        payload = json.dumps({"ok": True}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Server-Internal", "node-17.internal")
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_address[1]}/x")
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[tuple[int, type[Stub]]]:
    handler = type("Recording", (Stub,), {"seen": [], "delay": 0.0})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def products_file(tmp_path: Path, port: int, timeout: float = 5) -> str:
    routes = [{"method": "GET", "path": "/wiki/rest/api/space/**",
               "scopes": ["read:confluence-space.summary"]},
              {"method": "POST", "path": "/wiki/rest/api/content",
               "scopes": ["write:confluence-content"]}]
    config = {"products": [
        {"name": "confluence", "upstream": f"http://127.0.0.1:{port}", "timeout": timeout,
         "routes": routes},
        {"name": "down", "title": "Down", "upstream": f"http://127.0.0.1:{free_port()}",
         "scopes": [{"name": "read:down", "title": "Read"}],
         "routes": [{"method": "GET", "path": "/**", "scopes": ["read:down"]}]},
    ]}
    path = tmp_path / "products.json"
    path.write_text(json.dumps(config))
    return str(path)


@pytest.fixture
def gateway(world: World, tmp_path: Path, stub: tuple[int, type[Stub]]
            ) -> Iterator[httpx.Client]:
    settings = Settings(issuer=ISSUER, secret_key="k" * 32,
                        products_file=products_file(tmp_path, stub[0], timeout=1))
    with ThreadServer(make_app(world, settings=settings)) as srv, \
            httpx.Client(base_url=srv.url, timeout=10) as client:
        yield client


def confluence_token(world: World, cast: Cast, scopes: str) -> str:
    app = world.app(cast.edward, scopes)
    world.member(cast.s1, cast.edward)
    grant, family = world.grant(app, cast.edward, [cast.s1])
    return world.token(grant, family)


def test_gw06_upstream_sees_a_verifiable_assertion_and_no_spoofed_headers(
    gateway: httpx.Client, world: World, cast: Cast, stub: tuple[int, type[Stub]]
) -> None:
    token = confluence_token(world, cast, "read:confluence-space.summary read:jira-work")
    spoofed = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil.test",
               "X-Forwarded-Proto": "http", "X-User-Id": cast.mallory.account_id,
               "X-Cloud-Id": cast.s3.cloud_id, "X-Scopes": "*",
               "X-Threelo-Account-Id": cast.mallory.account_id,
               "X-Threelo-Assertion": "forged", "X-Atlassian-Account-Id": "x",
               "Cookie": "session=1"}
    r = gateway.get(f"/ex/confluence/{cast.s1.cloud_id}/wiki/rest/api/space/KEY?expand=a%2Cb",
                    headers={**bearer(token), **spoofed, "Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert "server-internal" not in r.headers
    assert r.headers.get("location") is None or "127.0.0.1:" + str(stub[0]) not in \
        r.headers["location"]
    (call,) = stub[1].seen
    assert call["path"] == "/wiki/rest/api/space/KEY?expand=a%2Cb"
    headers = {k.lower(): v for k, v in call["headers"].items()}
    for name in ("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-user-id",
                 "x-cloud-id", "x-scopes", "x-atlassian-account-id", "authorization",
                 "cookie"):
        assert name not in headers, name
    assert headers["x-threelo-account-id"] == cast.edward.account_id
    assert headers["x-threelo-cloud-id"] == cast.s1.cloud_id
    jwks = jwt.PyJWKSet.from_dict(world.platform.keys.jwks())
    assertion = headers["x-threelo-assertion"]
    header = jwt.get_unverified_header(assertion)
    assert header["typ"] == "threelo-gateway+jwt"
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims = jwt.decode(assertion, key, algorithms=["ES256"], audience="confluence",
                        issuer=ISSUER)
    assert claims["sub"] == cast.edward.account_id
    assert claims["cloud_id"] == cast.s1.cloud_id
    assert claims["exp"] - claims["iat"] <= 60
    assert "read:confluence-space.summary" in claims["scope"].split()


def test_gw03_other_products_scope_never_calls_upstream(
    gateway: httpx.Client, world: World, cast: Cast, stub: tuple[int, type[Stub]]
) -> None:
    token = confluence_token(world, cast, "read:jira-work")
    r = gateway.get(f"/ex/confluence/{cast.s1.cloud_id}/wiki/rest/api/space/X",
                    headers=bearer(token))
    assert r.status_code == 401 and r.json()["message"] == "Unauthorized; scope does not match"
    assert stub[1].seen == []


def test_post_body_is_forwarded(gateway: httpx.Client, world: World, cast: Cast,
                                stub: tuple[int, type[Stub]]) -> None:
    token = confluence_token(world, cast, "write:confluence-content")
    r = gateway.post(f"/ex/confluence/{cast.s1.cloud_id}/wiki/rest/api/content",
                     headers=bearer(token), json={"title": "t"})
    assert r.status_code == 200
    assert json.loads(stub[1].seen[0]["body"]) == {"title": "t"}


def test_upstream_slow_is_504_within_the_timeout(
    gateway: httpx.Client, world: World, cast: Cast, stub: tuple[int, type[Stub]]
) -> None:
    stub[1].delay = 3
    token = confluence_token(world, cast, "read:confluence-space.summary")
    started = time.monotonic()
    r = gateway.get(f"/ex/confluence/{cast.s1.cloud_id}/wiki/rest/api/space/X",
                    headers=bearer(token))
    assert (r.status_code, r.json()) == (504, {"code": 504, "message": "Gateway Timeout"})
    assert time.monotonic() - started < 2.5


def test_upstream_down_is_502(gateway: httpx.Client, world: World, cast: Cast) -> None:
    token_app = world.app(cast.edward, "read:down")
    site = world.site("Echo", ("down",))
    world.member(site, cast.edward)
    grant, family = world.grant(token_app, cast.edward, [site])
    r = gateway.get(f"/ex/down/{site.cloud_id}/anything", headers=bearer(world.token(grant,
                                                                                      family)))
    assert (r.status_code, r.json()) == (502, {"code": 502, "message": "Bad Gateway"})
