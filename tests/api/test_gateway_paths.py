"""GW-04: raw paths sent with http.client to a real server; ambiguity is a 400 before any check
and the product is never called for another site."""

from __future__ import annotations

import http.client

import pytest

from .conftest import Cast, ThreadServer, World

Recorded = list[str]


@pytest.fixture
def calls(world: World, monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """Records every call that reaches the Jira sample."""
    from threelo.products.jira.service import JiraService

    seen: Recorded = []
    original = JiraService.handle

    def spy(self: JiraService, request: object) -> object:
        seen.append(request.caller.cloud_id + " " + request.path)  # type: ignore[attr-defined]
        return original(self, request)  # type: ignore[arg-type]

    monkeypatch.setattr(JiraService, "handle", spy)
    return seen


def raw_get(server: ThreadServer, target: str, token: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.putheader("Authorization", f"Bearer {token}")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_gw04_ambiguous_paths_are_refused(server: ThreadServer, world: World, cast: Cast,
                                          calls: Recorded) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1, cast.s2])
    token = world.token(grant, family)
    s1, s2 = cast.s1.cloud_id, cast.s2.cloud_id
    tail = "rest/api/3/myself"
    bad = [
        f"/ex/jira/{s1}/../{s2}/{tail}",
        f"/ex/jira/{s1}/..%2f{s2}/{tail}",
        f"/ex/jira/{s1}%2f..%2f{s2}/{tail}",
        f"//ex/jira/{s2}/{tail}",
        f"/ex/jira/{s1};x/../{s2}/{tail}",
        f"/ex/jira/{s2.upper()}/{tail}",
        f"/ex/jira/{s2}%00/{tail}",
        f"/ex/jira/{s1}/rest/api/3/../../../../{s2}/{tail}",
        f"/ex/jira/{s1}/rest/api/3/./myself",
        f"/ex/jira/{s1}/rest/api/3/%2e%2e/myself",
        f"/ex/jira/{s1}/rest/api/3/%2E/myself",
        f"/ex/jira/{s1}/rest//api/3/myself",
        f"/ex/jira/{s1}/rest\\api/3/myself",
        f"/ex/jira/{s1}/rest/api/3/myself;jsessionid=1/x",
        f"/ex/jira/{s1}/rest/api/3/%252e%252e/myself",
        f"/ex/jira/{s1}/rest/api/3/my%zzself",
        f"/ex/jira/{{{s1}}}/{tail}",
    ]
    for target in bad:
        status, body = raw_get(server, target, token)
        assert status == 400, (target, status, body)
    assert calls == []
    assert raw_get(server, f"/ex/JIRA/{s2}/{tail}", token)[0] == 404
    assert calls == []


def test_gw04_the_checked_path_is_the_forwarded_path(server: ThreadServer, world: World,
                                                     cast: Cast, calls: Recorded) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    status, _ = raw_get(server, f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/myself", token)
    assert status == 200
    status, _ = raw_get(server, f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/issue/PROJ%2D1", token)
    assert status == 404  # no such issue, but routed: the encoded form was checked and passed
    assert calls == [f"{cast.s1.cloud_id} /rest/api/3/myself",
                     f"{cast.s1.cloud_id} /rest/api/3/issue/PROJ%2D1"]
