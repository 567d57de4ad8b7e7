"""The built-in Jira sample through the gateway (CONTRACT §5.4), also with a real client."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Cast, ThreadServer, World, bearer


@pytest.fixture
def jira(
    client: httpx.Client, world: World, cast: Cast
) -> tuple[httpx.Client, str, dict[str, str]]:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    return client, f"/ex/jira/{cast.s1.cloud_id}/rest/api", bearer(world.token(grant, family))


def test_projects_and_paging(jira: tuple[httpx.Client, str, dict[str, str]],
                             cast: Cast) -> None:
    client, base, auth = jira
    projects = client.get(f"{base}/3/project", headers=auth).json()
    assert [p["key"] for p in projects] == ["ALPHA"]
    page = client.get(f"{base}/3/project/search", headers=auth).json()
    assert list(page) == ["self", "maxResults", "startAt", "total", "isLast", "values"]
    assert page["total"] == 1 and page["isLast"] is True and page["values"][0]["key"] == "ALPHA"
    assert page["self"].startswith(f"http://127.0.0.1:8000/ex/jira/{cast.s1.cloud_id}/rest/api/3/")
    paged = client.get(f"{base}/3/project/search?maxResults=0", headers=auth).json()
    assert paged["isLast"] is False and "startAt=0" in paged["nextPage"]


def test_create_read_and_search_issues_v2_and_v3(
    jira: tuple[httpx.Client, str, dict[str, str]]
) -> None:
    client, base, auth = jira
    adf = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Hello"}]}]}
    r = client.post(f"{base}/3/issue", headers=auth, json={"fields": {
        "project": {"key": "ALPHA"}, "summary": "First", "issuetype": {"name": "Task"},
        "description": adf}})
    assert r.status_code == 201, r.text
    assert list(r.json()) == ["id", "key", "self"]
    assert r.json()["key"] == "ALPHA-1"
    r = client.post(f"{base}/2/issue", headers=auth, json={"fields": {
        "project": {"id": "10000"}, "summary": "Second", "issuetype": {"id": "10002"},
        "description": "plain\n\ntext"}})
    assert r.json()["key"] == "ALPHA-2"
    v2 = client.get(f"{base}/2/issue/ALPHA-1", headers=auth).json()
    v3 = client.get(f"{base}/3/issue/10002?fields=summary,description&expand=names",
                    headers=auth).json()
    assert v2["fields"]["description"] == "Hello"
    assert v3["fields"] == {"summary": "Second", "description": {
        "type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "plain"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "text"}]}]}}
    for jql in ("project=ALPHA", 'project = "ALPHA" ORDER BY created ASC', "project = alpha"):
        found = client.get(f"{base}/3/search", params={"jql": jql}, headers=auth).json()
        assert list(found)[1:] == ["startAt", "maxResults", "total", "issues"]
        assert found["total"] == 2
    ordered = client.get(f"{base}/3/search", headers=auth,
                         params={"jql": "project=ALPHA order by key asc", "maxResults": 1}
                         ).json()
    assert [i["key"] for i in ordered["issues"]] == ["ALPHA-1"]


@pytest.mark.parametrize("jql", ["assignee = me", "project = ALPHA AND status = Done",
                                 "project = NOPE", ""])
def test_unsupported_jql_is_a_jira_400(jira: tuple[httpx.Client, str, dict[str, str]],
                                       jql: str) -> None:
    client, base, auth = jira
    r = client.get(f"{base}/3/search", params={"jql": jql}, headers=auth)
    assert r.status_code == 400
    assert set(r.json()) == {"errorMessages", "errors"} and r.json()["errorMessages"]


def test_invalid_issue_fields_in_jira_shape(jira: tuple[httpx.Client, str, dict[str, str]]
                                            ) -> None:
    client, base, auth = jira
    r = client.post(f"{base}/3/issue", headers=auth, json={"fields": {
        "project": {"key": "OTHER"}, "summary": "", "issuetype": {"name": "Nope"},
        "description": 5, "colour": "red"}})
    assert r.status_code == 400
    assert r.json()["errorMessages"] == []
    assert set(r.json()["errors"]) == {"project", "summary", "issuetype", "description",
                                       "colour"}
    r = client.post(f"{base}/3/issue", headers=auth, content=b"{not json",
                    )
    assert r.status_code == 400 and r.json()["errorMessages"]
    missing = client.get(f"{base}/3/issue/ALPHA-99", headers=auth)
    assert missing.status_code == 404 and missing.json()["errorMessages"]


def test_atlassian_python_api_creates_and_reads_an_issue(
    server: ThreadServer, world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from atlassian import Jira

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback only

    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    client = Jira(url=f"{server.url}/ex/jira/{cast.s1.cloud_id}", oauth2={
        "client_id": cast.app_a.client_id,
        "token": {"access_token": token, "token_type": "Bearer"}})
    try:
        assert client.myself()["accountId"] == cast.edward.account_id
        created = client.issue_create(fields={
            "project": {"key": "ALPHA"}, "summary": "From a real client",
            "issuetype": {"name": "Bug"}, "description": "Made by atlassian-python-api"})
        issue = client.issue(created["key"])
        assert issue["fields"]["summary"] == "From a real client"
        assert issue["fields"]["description"] == "Made by atlassian-python-api"
        found = client.jql("project = ALPHA")
        assert [i["key"] for i in found["issues"]] == [created["key"]]
    finally:
        client.close()
