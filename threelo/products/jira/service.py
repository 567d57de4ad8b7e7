"""The Jira sample's request handling: a Jira Cloud REST subset over plain values."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from threelo.products import Caller, ProductRequest, ProductResponse
from threelo.products.jira import views
from threelo.products.jira.jql import JqlError, parse_jql
from threelo.products.jira.model import IssueDraft, JiraProject, JiraRepo, sample_project

_ROUTE = re.compile(r"/rest/api/(?P<v>[23])/(?P<rest>[^?]*)")
_SETTABLE = frozenset({"project", "summary", "issuetype", "description", "labels"})
MAX_RESULTS = 100


class _BadRequest(Exception):
    def __init__(self, messages: list[str], errors: dict[str, str] | None = None) -> None:
        super().__init__(messages)
        self.messages = messages
        self.errors = errors or {}


def _error(status: int, messages: list[str], errors: dict[str, str] | None = None
           ) -> ProductResponse:
    return ProductResponse(status, views.jira_error(status, messages, errors))


class JiraService:
    def __init__(self, repo: JiraRepo, clock: Callable[[], datetime] | None = None) -> None:
        self._repo = repo
        self._now = clock or (lambda: datetime.now(UTC))

    def handle(self, request: ProductRequest) -> ProductResponse:
        match = _ROUTE.fullmatch(request.path)
        if match is None:
            return _error(404, ["The requested resource was not found."])
        version, rest = match.group("v"), match.group("rest").rstrip("/")
        base = f"{request.base_url}/rest/api/{version}"
        try:
            return self._route(request, version, rest, base)
        except _BadRequest as exc:
            return _error(400, exc.messages, exc.errors)

    def _route(self, request: ProductRequest, version: str, rest: str, base: str
               ) -> ProductResponse:
        method = "GET" if request.method == "HEAD" else request.method
        project = self._project(request.caller)
        if method == "GET" and rest == "myself":
            return ProductResponse(200, views.myself(request.caller, base))
        if method == "GET" and rest == "project":
            return ProductResponse(200, [views.project(project, base)])
        if method == "GET" and rest == "project/search":
            return self._project_search(request, project, base)
        if method == "GET" and rest == "search":
            return self._search(request, project, base, version)
        if method == "POST" and rest == "issue":
            return self._create(request, project, base, version)
        if method == "GET" and rest.startswith("issue/") and rest.count("/") == 1:
            return self._issue(request, project, base, version, unquote(rest[6:]))
        return _error(404, ["The requested resource was not found."])

    def _project(self, caller: Caller) -> JiraProject:
        found = self._repo.project(caller.cloud_id)
        if found is None:  # every site has one sample project, made on first use
            found = self._repo.add_project(sample_project(caller.cloud_id, caller.site_name))
        return found

    def _project_search(self, request: ProductRequest, project: JiraProject, base: str
                        ) -> ProductResponse:
        start, limit = _paging(request, default_limit=50)
        values = [views.project(project, base)][start:start + limit]
        last = start + limit >= 1
        body: dict[str, Any] = {
            "self": f"{base}/project/search?startAt={start}&maxResults={limit}",
            "maxResults": limit,
            "startAt": start,
            "total": 1,
            "isLast": last,
            "values": values,
        }
        if not last:
            body["nextPage"] = f"{base}/project/search?startAt={start + limit}&maxResults={limit}"
            body = {k: body[k] for k in ("self", "nextPage", "maxResults", "startAt", "total",
                                         "isLast", "values")}
        return ProductResponse(200, body)

    def _search(self, request: ProductRequest, project: JiraProject, base: str, version: str
                ) -> ProductResponse:
        start, limit = _paging(request, default_limit=50)
        try:
            query = parse_jql(_param(request, "jql") or "")
        except JqlError as exc:
            raise _BadRequest([str(exc)]) from None
        if query.project_key != project.key:
            raise _BadRequest([f"The value '{query.project_key}' does not exist for the field "
                               "'project'."])
        found, total = self._repo.issues(project.cloud_id, project.key, start=start,
                                         limit=limit, descending=query.descending)
        wanted = views.wanted_fields(_param(request, "fields"))
        return ProductResponse(200, {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": limit,
            "total": total,
            "issues": [views.issue_body(i, project, base, version, wanted) for i in found],
        })

    def _issue(self, request: ProductRequest, project: JiraProject, base: str, version: str,
               id_or_key: str) -> ProductResponse:
        issue = self._repo.issue(project.cloud_id, id_or_key)
        if issue is None:
            return _error(404, ["Issue does not exist or you do not have permission to see it."])
        wanted = views.wanted_fields(_param(request, "fields"))
        return ProductResponse(200, views.issue_body(issue, project, base, version, wanted))

    def _create(self, request: ProductRequest, project: JiraProject, base: str, version: str
                ) -> ProductResponse:
        fields = _fields_of(request.body)
        draft = _draft(fields, project, request.caller.account_id, version)
        issue = self._repo.add_issue(project.cloud_id, draft, self._now())
        return ProductResponse(201, {"id": issue.issue_id, "key": issue.key,
                                     "self": f"{base}/issue/{issue.issue_id}"})


def _param(request: ProductRequest, name: str) -> str | None:
    return next((v for k, v in request.query if k == name), None)


def _paging(request: ProductRequest, *, default_limit: int) -> tuple[int, int]:
    try:
        start = int(_param(request, "startAt") or 0)
        limit = int(_param(request, "maxResults") or default_limit)
    except ValueError:
        raise _BadRequest(["startAt and maxResults must be whole numbers."]) from None
    if start < 0 or limit < 0:
        raise _BadRequest(["startAt and maxResults must not be negative."])
    return start, min(limit, MAX_RESULTS)


def _fields_of(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        raise _BadRequest(["The request body is not valid JSON."]) from None
    fields = payload.get("fields") if isinstance(payload, dict) else None
    if not isinstance(fields, dict):
        raise _BadRequest(["The request body must hold a 'fields' object."])
    return fields


def _draft(fields: dict[str, Any], project: JiraProject, reporter: str, version: str
           ) -> IssueDraft:
    errors = {name: (f"Field '{name}' cannot be set. It is not on the appropriate screen, "
                     "or unknown.") for name in fields if name not in _SETTABLE}
    ref = fields.get("project")
    if not (isinstance(ref, dict) and (ref.get("key") == project.key
                                       or str(ref.get("id", "")) == project.project_id)):
        errors["project"] = "Specify a valid project ID or key"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors["summary"] = "You must specify a summary of the issue."
    elif len(summary) > 255 or "\n" in summary:
        errors["summary"] = "Summary must be less than 255 characters and one line."
    issue_type = _issue_type(fields.get("issuetype"))
    if issue_type is None:
        errors["issuetype"] = "Specify an issue type"
    description = _description(fields.get("description"), errors, version)
    labels = fields.get("labels", [])
    if not isinstance(labels, list) or not all(
            isinstance(x, str) and x and " " not in x for x in labels):
        errors["labels"] = "Labels must be a list of words without spaces."
    if errors:
        raise _BadRequest([], errors)
    assert isinstance(summary, str) and issue_type is not None
    return IssueDraft(project.key, summary.strip(), issue_type, description, reporter,
                      tuple(labels))


def _issue_type(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("name"), str):
        return next((n for n in views.ISSUE_TYPES if n.lower() == value["name"].lower()), None)
    by_id = {v: k for k, v in views.ISSUE_TYPES.items()}
    return by_id.get(str(value.get("id", "")))


def _description(value: Any, errors: dict[str, str], version: str) -> dict[str, Any] | None:
    """v2 takes text and v3 takes ADF; both are accepted on either version."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return views.text_to_adf(value)
    if views.is_adf(value):
        return dict(value)
    expected = "a string" if version == "2" else "an Atlassian Document"
    errors["description"] = f"Operation value must be {expected}"
    return None
