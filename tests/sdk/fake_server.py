"""A recording fake of the authorization server and API face, for the SDK's client-side rules.

It follows the wire format of threelo and Atlassian closely enough for the SDK (JSON token
bodies, 403 ``invalid_grant``, rotating refresh tokens, accessible-resources, the gateway) and
records every request, so tests can assert that a refused callback never reached the token
endpoint. The real server is exercised by the integration tests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

AUTH = "https://auth.example.test"
API = "https://api.example.test"
CALLBACK = "https://app.example.test/callback"
CLIENT_ID = "client-123"
CLIENT_SECRET = "secret-456"

ACCOUNTS: dict[str, dict[str, Any]] = {
    "mallory": {
        "account_id": "acc-mallory",
        "email": "edward@example.test",  # same e-mail as Edward's local account (SDK-13)
        "name": "Mallory",
    },
    "edward": {"account_id": "acc-edward", "email": "edward@example.test", "name": "Edward"},
}
SITES = {
    "mallory": [("33333333-3333-4333-8333-333333333333", "mallory-site")],
    "edward": [
        ("11111111-1111-4111-8111-111111111111", "edward-one"),
        ("22222222-2222-4222-8222-222222222222", "edward-two"),
    ],
}


@dataclass
class IssuedCode:
    client_id: str
    redirect_uri: str
    challenge: str | None
    account: str
    used: bool = False


@dataclass
class CreatedIssue:
    account: str
    cloud_id: str
    fields: dict[str, Any]


@dataclass
class FakeAuthorizationServer:
    issuer: str = AUTH
    token_type: str = "Bearer"
    expires_in: int | None = 3600
    token_delay: float = 0.0
    token_override: Callable[[dict[str, str]], httpx.Response] | None = None
    on_api_request: Callable[[httpx.Request], None] | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    token_bodies: list[dict[str, str]] = field(default_factory=list)
    codes: dict[str, IssuedCode] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    access_tokens: dict[str, str] = field(default_factory=dict)
    issues: list[CreatedIssue] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what the browser would do ------------------------------------------------------

    def approve(self, authorization_url: str, account: str) -> str:
        """The callback URL the user's browser would be sent to after consenting."""
        params = _single(parse_qs(urlsplit(authorization_url).query))
        assert params["response_type"] == "code"
        code = secrets.token_urlsafe(16)
        self.codes[code] = IssuedCode(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            challenge=params.get("code_challenge"),
            account=account,
        )
        answer = {"code": code, "state": params["state"], "iss": self.issuer}
        return f"{params['redirect_uri']}?{urlencode(answer)}"

    def deny(self, authorization_url: str, description: str) -> str:
        params = _single(parse_qs(urlsplit(authorization_url).query))
        answer = {
            "error": "access_denied",
            "error_description": description,
            "state": params["state"],
            "iss": self.issuer,
        }
        return f"{params['redirect_uri']}?{urlencode(answer)}"

    # --- what the tests look at ---------------------------------------------------------

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/oauth/token"]

    def refresh_requests(self) -> list[dict[str, str]]:
        return [b for b in self.token_bodies if b.get("grant_type") == "refresh_token"]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def issue_tokens(self, account: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.access_tokens[access] = account
        self.refresh_tokens[refresh] = account
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": self.token_type,
            "scope": "read:me read:jira-work write:jira-work offline_access",
            "refresh_token": refresh,
        }
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return body

    # --- HTTP ---------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        url = str(request.url)
        if url == f"{AUTH}/oauth/token" and request.method == "POST":
            return self._token(request)
        if url.startswith(API):
            if self.on_api_request is not None:
                self.on_api_request(request)
            return self._api(request)
        return httpx.Response(404, json={"error": "not_found"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(request.content)
        else:
            body = _single(parse_qs(request.content.decode()))
        with self.lock:
            self.token_bodies.append(body)
        if self.token_override is not None:
            return self.token_override(body)
        if self.token_delay:
            time.sleep(self.token_delay)
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
            return _token_error(401, "invalid_client", "Unauthorized")
        with self.lock:
            if body.get("grant_type") == "authorization_code":
                return self._code_grant(body)
            if body.get("grant_type") == "refresh_token":
                return self._refresh_grant(body)
        return _token_error(400, "unsupported_grant_type", "Unsupported grant type")

    def _code_grant(self, body: dict[str, str]) -> httpx.Response:
        issued = self.codes.get(body.get("code", ""))
        if issued is None or issued.used or issued.redirect_uri != body.get("redirect_uri"):
            return _token_error(403, "invalid_grant", "Invalid authorization code")
        if issued.challenge is not None and issued.challenge != _s256(body.get("code_verifier")):
            return _token_error(403, "invalid_grant", "Invalid authorization code")
        issued.used = True
        return _json(200, self.issue_tokens(issued.account))

    def _refresh_grant(self, body: dict[str, str]) -> httpx.Response:
        account = self.refresh_tokens.pop(body.get("refresh_token", ""), None)
        if account is None:
            return _token_error(403, "invalid_grant", "Unknown or invalid refresh token.")
        return _json(200, self.issue_tokens(account))

    def _api(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization", "")
        account = self.access_tokens.get(auth.removeprefix("Bearer "))
        if not auth.startswith("Bearer ") or account is None:
            return httpx.Response(
                401,
                json={"code": 401, "message": "Unauthorized"},
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        path = request.url.path
        if path == "/me":
            return _json(200, ACCOUNTS[account])
        if path == "/oauth/token/accessible-resources":
            return _json(200, _resources(account))
        return self._gateway(request, account, path)

    def _gateway(self, request: httpx.Request, account: str, path: str) -> httpx.Response:
        parts = path.split("/", 4)  # '', 'ex', product, cloud_id, rest
        if len(parts) < 5 or parts[1] != "ex" or parts[2] != "jira":
            return _json(404, {"code": 404, "message": "Not Found"})
        cloud_id, rest = parts[3], parts[4]
        if cloud_id not in {site for site, _ in SITES[account]}:
            return _json(404, {"code": 404, "message": "Not Found"})
        if rest == "rest/api/3/project" and request.method == "GET":
            return _json(200, [{"id": "10000", "key": "SEC", "name": "Security"}])
        if rest == "rest/api/3/issue" and request.method == "POST":
            fields = json.loads(request.content)["fields"]
            self.issues.append(CreatedIssue(account, cloud_id, fields))
            key = f"SEC-{len(self.issues)}"
            return _json(201, {"id": str(10000 + len(self.issues)), "key": key, "self": "x"})
        if rest == "rest/api/3/myself":
            return _json(200, {"accountId": ACCOUNTS[account]["account_id"]})
        return _json(404, {"errorMessages": ["not found"], "errors": {}})


def _resources(account: str) -> list[dict[str, Any]]:
    return [
        {
            "id": cloud_id,
            "name": name,
            "url": f"https://{name}.example.test",
            "scopes": ["read:jira-work", "write:jira-work"],
            "avatarUrl": "https://avatars.example.test/a.png",
        }
        for cloud_id, name in SITES[account]
    ]


def _s256(verifier: str | None) -> str | None:
    if verifier is None:
        return None
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _single(params: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[0] for name, values in params.items()}


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"Cache-Control": "no-store"})


def _token_error(status: int, error: str, description: str) -> httpx.Response:
    return _json(status, {"error": error, "error_description": description})
