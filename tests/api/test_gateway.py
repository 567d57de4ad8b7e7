"""The gateway's decisions: GW-01..GW-03, GW-06, GW-07 (CONTRACT §5.3)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from threelo.core import access as access_module

from .conftest import Cast, World, bearer

NOT_FOUND = {"code": 404, "message": "Not Found"}


def myself(site: str, version: str = "3") -> str:
    return f"/ex/jira/{site}/rest/api/{version}/myself"


@pytest.fixture
def token_s1(world: World, cast: Cast) -> str:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    return world.token(grant, family)


def test_granted_site_works_on_v2_and_v3(client: httpx.Client, cast: Cast, token_s1: str
                                         ) -> None:
    for version in ("2", "3"):
        r = client.get(myself(cast.s1.cloud_id, version), headers=bearer(token_s1))
        assert r.status_code == 200, r.text
        assert r.json()["accountId"] == cast.edward.account_id
        assert r.headers["x-ratelimit-limit"]


def test_gw01_every_site_outside_the_grant_gets_the_same_404(
    client: httpx.Client, cast: Cast, token_s1: str
) -> None:
    answers = set()
    for site in (cast.s2.cloud_id, cast.s3.cloud_id, cast.s4.cloud_id, str(uuid.uuid4())):
        r = client.get(myself(site), headers=bearer(token_s1))
        assert r.json() == NOT_FOUND
        answers.add((r.status_code, r.text, r.headers["content-type"]))
    assert len(answers) == 1


def test_gw02_membership_loss_drops_the_site_at_once(client: httpx.Client, world: World,
                                                     cast: Cast) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1, cast.s2])
    token = world.token(grant, family)
    with world.store.transaction() as tx:
        tx.memberships.remove(cast.s1.cloud_id, cast.edward.account_id)
    access_module.invalidate_account(cast.edward.account_id)
    assert client.get(myself(cast.s1.cloud_id), headers=bearer(token)).status_code == 404
    assert client.get(myself(cast.s2.cloud_id), headers=bearer(token)).status_code == 200
    world.member(cast.s1, cast.edward)  # the grant still lists S1: access returns
    access_module.invalidate_account(cast.edward.account_id)
    assert client.get(myself(cast.s1.cloud_id), headers=bearer(token)).status_code == 200


def test_gw03_scope_mismatch(client: httpx.Client, world: World, cast: Cast) -> None:
    grant, family = world.grant(cast.app_b, cast.edward, [cast.s1])  # read:jira-work only
    token = world.token(grant, family)
    r = client.post(f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/issue", headers=bearer(token),
                    json={"fields": {}})
    assert r.status_code == 401
    assert r.json() == {"code": 401, "message": "Unauthorized; scope does not match"}
    assert r.headers["x-failure-category"] == "FAILURE_CLIENT_SCOPE_CHECK"
    # The scope answer does not depend on the site (no existence oracle).
    r2 = client.get(myself(str(uuid.uuid4())), headers=bearer(token))
    assert r2.status_code == 401 and r2.json() == r.json()


def test_unknown_product_or_route_is_404(client: httpx.Client, cast: Cast, token_s1: str
                                         ) -> None:
    for path in (f"/ex/confluence/{cast.s1.cloud_id}/wiki/rest/api/space",
                 f"/ex/JIRA/{cast.s1.cloud_id}/rest/api/3/myself",
                 f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/secret-admin",
                 f"/ex/jira/{cast.s1.cloud_id}/rest/api/4/myself"):
        r = client.get(path, headers=bearer(token_s1))
        assert (r.status_code, r.json()) == (404, NOT_FOUND), path


def test_gw07_denials_carry_no_internal_detail(client: httpx.Client, cast: Cast,
                                               token_s1: str) -> None:
    r = client.get(myself(cast.s1.cloud_id), headers=bearer(token_s1 + "x"))
    assert r.status_code == 401 and r.headers["www-authenticate"]
    assert r.json() == {"code": 401, "message": "Unauthorized"}
    assert "Traceback" not in r.text and "sqlite" not in r.text.lower()


def test_invalid_tokens_never_reach_the_product(client: httpx.Client, cast: Cast) -> None:
    r = client.post(f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/issue",
                    headers={"Authorization": "Bearer nope"}, json={})
    assert r.status_code == 401
