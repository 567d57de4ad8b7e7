"""Accessible resources, /me and gateway calls through a connection."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from threelo.sdk import AccessibleResource, ApiError, ThreeLOClient

from .fake_server import API, FakeAuthorizationServer

SITE = "11111111-1111-4111-8111-111111111111"


@pytest.fixture
def connected(client: ThreeLOClient, fake: FakeAuthorizationServer) -> ThreeLOClient:
    session: dict[str, Any] = {}
    client.complete(session, fake.approve(client.begin(session), "edward"), token_key="edward")
    return client


def test_accessible_resources_are_parsed_into_values(connected: ThreeLOClient) -> None:
    resources = connected.connection("edward").accessible_resources()

    assert resources[0] == AccessibleResource(
        id=SITE,
        name="edward-one",
        url="https://edward-one.example.test",
        scopes=("read:jira-work", "write:jira-work"),
        avatar_url="https://avatars.example.test/a.png",
    )


def test_malformed_resource_entries_are_skipped(
    connected: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    fake.on_api_request = None
    original = fake._api

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("accessible-resources"):
            return httpx.Response(200, json=[{"id": 5}, "x", {"id": "a", "name": "n", "url": "u"}])
        return original(request)

    fake._api = api  # type: ignore[method-assign]

    assert [r.id for r in connected.connection("edward").accessible_resources()] == ["a"]


def test_me_returns_the_profile(connected: ThreeLOClient) -> None:
    assert connected.connection("edward").me()["account_id"] == "acc-edward"


def test_the_gateway_call_goes_to_the_sites_prefix_with_a_bearer_token(
    connected: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    response = connected.connection("edward").call(
        "jira", SITE, "GET", "/rest/api/3/project", headers={"X-Extra": "1"}
    )

    request = fake.requests[-1]
    assert response.status_code == 200
    assert str(request.url) == f"{API}/ex/jira/{SITE}/rest/api/3/project"
    assert request.headers["authorization"].startswith("Bearer ")
    assert request.headers["x-extra"] == "1"


def test_a_caller_cannot_override_the_authorization_header(
    connected: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    connected.connection("edward").call(
        "jira", SITE, "GET", "rest/api/3/project", headers={"Authorization": "Bearer other"}
    )

    assert fake.requests[-1].headers["authorization"] != "Bearer other"


@pytest.mark.parametrize(
    ("product", "cloud_id", "path"),
    [
        ("jira/../x", SITE, "rest"),
        ("Jira", SITE, "rest"),
        ("jira", "../other", "rest"),
        ("jira", f"{SITE}/x", "rest"),
        ("jira", SITE, "../../other-site/rest"),
        ("jira", SITE, "rest/./x"),
        ("jira", SITE, "rest\\x"),
    ],
)
def test_a_gateway_path_that_would_leave_the_sites_prefix_is_refused(
    connected: ThreeLOClient, product: str, cloud_id: str, path: str
) -> None:
    with pytest.raises(ValueError):
        connected.connection("edward").call(product, cloud_id, "GET", path)


def test_an_api_refusal_raises_api_error(
    connected: ThreeLOClient, fake: FakeAuthorizationServer
) -> None:
    fake.on_api_request = None
    fake._api = lambda request: httpx.Response(  # type: ignore[method-assign]
        429, json={"code": 429, "message": "Too many"}
    )

    with pytest.raises(ApiError) as caught:
        connected.connection("edward").me()
    assert caught.value.status == 429
