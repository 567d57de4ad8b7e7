"""GET /me and accessible-resources (CONTRACT §5.1, §5.2; ME-01..ME-03; GW-05 transport)."""

from __future__ import annotations

import httpx
import pytest

from threelo.core import access as access_module

from .conftest import Cast, World, bearer

RESOURCES = "/oauth/token/accessible-resources"


def token_for(world: World, cast: Cast, app_scopes: str, sites: list[str] | None = None) -> str:
    app = world.app(cast.edward, app_scopes)
    chosen = [s for s in (cast.s1, cast.s2) if sites is None or s.name in sites]
    grant, family = world.grant(app, cast.edward, chosen)
    return world.token(grant, family)


def test_me_has_exactly_the_atlassian_shape(client: httpx.Client, world: World, cast: Cast
                                            ) -> None:
    r = client.get("/me", headers=bearer(token_for(world, cast, "read:me")))
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    e = cast.edward
    assert list(r.json().items()) == [
        ("account_type", "atlassian"), ("account_id", e.account_id), ("email", e.email),
        ("name", e.name), ("picture", e.picture), ("account_status", "active"),
        ("nickname", e.nickname), ("zoneinfo", e.zoneinfo), ("locale", e.locale),
        ("extended_profile", {"job_title": e.job_title, "organization": e.organization,
                              "department": e.department, "location": e.location}),
    ]


def test_me01_only_the_subject_whatever_the_parameters(client: httpx.Client, world: World,
                                                       cast: Cast) -> None:
    token = token_for(world, cast, "read:me")
    r = client.get("/me", params={"account_id": cast.mallory.account_id}, headers=bearer(token))
    assert r.json()["account_id"] == cast.edward.account_id
    assert client.get(f"/me/../users/{cast.mallory.account_id}",
                      headers=bearer(token)).status_code in (404, 400)
    assert client.post("/me", headers=bearer(token)).status_code == 405


def test_me01_without_read_me_or_token(client: httpx.Client, world: World, cast: Cast) -> None:
    r = client.get("/me", headers=bearer(token_for(world, cast, "read:jira-work")))
    assert r.status_code == 401
    assert r.json() == {"code": 401, "message": "Unauthorized; scope does not match"}
    assert r.headers["x-failure-category"] == "FAILURE_CLIENT_SCOPE_CHECK"
    r = client.get("/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer realm=")
    assert "error=" not in r.headers["www-authenticate"]  # RFC 6750 §3.1


def test_resources_one_entry_per_site_and_product_in_stable_order(
    client: httpx.Client, world: World, cast: Cast
) -> None:
    world.member(cast.s3, cast.edward)  # granted below too
    app = world.app(cast.edward, "read:confluence-content.all write:jira-work read:jira-work "
                                 "read:me offline_access")
    grant, family = world.grant(app, cast.edward, [cast.s3, cast.s1, cast.s2])
    r = client.get(RESOURCES, headers=bearer(world.token(grant, family)))
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert [(e["name"], e["scopes"]) for e in body] == [
        ("Alpha", ["read:confluence-content.all"]),
        ("Alpha", ["read:jira-work", "write:jira-work"]),
        ("Bravo", ["read:jira-work", "write:jira-work"]),
        ("Charlie", ["read:jira-work", "write:jira-work"]),
    ]
    assert list(body[1]) == ["id", "name", "url", "scopes", "avatarUrl"]
    assert body[1] == {"id": cast.s1.cloud_id, "name": "Alpha", "url": cast.s1.url,
                       "scopes": ["read:jira-work", "write:jira-work"],
                       "avatarUrl": cast.s1.avatar_url}


def test_resources_empty_without_product_scopes(client: httpx.Client, world: World, cast: Cast
                                                ) -> None:
    r = client.get(RESOURCES, headers=bearer(token_for(world, cast, "read:me offline_access")))
    assert r.status_code == 200 and r.json() == []


def test_me02_grant_intersected_with_current_membership_per_app(
    client: httpx.Client, world: World, cast: Cast
) -> None:
    ga, fa = world.grant(cast.app_a, cast.edward, [cast.s1])
    gb, fb = world.grant(cast.app_b, cast.edward, [cast.s2])
    ta, tb = world.token(ga, fa), world.token(gb, fb)
    assert [e["id"] for e in client.get(RESOURCES, headers=bearer(ta)).json()] == [
        cast.s1.cloud_id]
    assert [(e["id"], e["scopes"]) for e in client.get(RESOURCES, headers=bearer(tb)).json()
            ] == [(cast.s2.cloud_id, ["read:jira-work"])]
    with world.store.transaction() as tx:
        tx.memberships.remove(cast.s1.cloud_id, cast.edward.account_id)
    access_module.invalidate_account(cast.edward.account_id)
    assert client.get(RESOURCES, headers=bearer(ta)).json() == []


@pytest.mark.parametrize("path", ["/me", RESOURCES])
def test_gw05_token_transport_rules(client: httpx.Client, world: World, cast: Cast, path: str
                                    ) -> None:
    token = token_for(world, cast, "read:me read:jira-work")
    assert client.get(path, headers={"Authorization": f"bearer {token}"}).status_code == 200
    assert client.get(path, headers={"Authorization": f"BEARER  {token}"}).status_code == 200
    only_query = client.get(path, params={"access_token": token})
    assert only_query.status_code == 400
    both = client.get(path, params={"access_token": token}, headers=bearer(token))
    assert both.status_code == 400
    assert 'error="invalid_request"' in both.headers["www-authenticate"]
    in_body = client.request("GET", path, content=f"access_token={token}",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert in_body.status_code == 400
    two = client.get(path, headers=[("Authorization", f"Bearer {token}"),
                                    ("Authorization", f"Bearer {token}")])
    assert two.status_code == 400
    basic = client.get(path, headers={"Authorization": f"Basic {token}"})
    assert basic.status_code == 401
    garbage = client.get(path, headers={"Authorization": "Bearer a b"})
    assert garbage.status_code == 401
    assert 'error="invalid_token"' in garbage.headers["www-authenticate"]
    for r in (only_query, both, in_body, two, basic, garbage):
        assert token not in r.text
