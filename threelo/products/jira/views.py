"""JSON shapes of the Jira Cloud REST API (v2: plain-text descriptions; v3: ADF)."""

from __future__ import annotations

from typing import Any

from threelo.products import Caller
from threelo.products.jira.model import JiraIssue, JiraProject

ISSUE_TYPES = {"Task": "10001", "Bug": "10002", "Story": "10003", "Epic": "10004"}
STATUS = {"self": "", "name": "To Do", "id": "10000",
          "statusCategory": {"id": 2, "key": "new", "name": "To Do"}}


def text_to_adf(text: str) -> dict[str, Any]:
    paragraphs = [p for p in text.split("\n\n") if p] or []
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs
        ],
    }


def adf_to_text(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        inner = [adf_to_text(child) for child in node.get("content", ())]
        joiner = "\n\n" if node.get("type") == "doc" else ""
        return joiner.join(inner)
    return ""


def is_adf(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and isinstance(value.get("content", []), list)
    )


def avatar_urls(picture: str) -> dict[str, str]:
    return {size: picture for size in ("48x48", "24x24", "16x16", "32x32")}


def myself(caller: Caller, base: str) -> dict[str, Any]:
    return {
        "self": f"{base}/user?accountId={caller.account_id}",
        "accountId": caller.account_id,
        "accountType": "atlassian",
        "emailAddress": caller.email,
        "avatarUrls": avatar_urls(caller.picture),
        "displayName": caller.name,
        "active": True,
        "timeZone": caller.zoneinfo,
        "locale": caller.locale.replace("-", "_"),
    }


def project(p: JiraProject, base: str) -> dict[str, Any]:
    return {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        "self": f"{base}/project/{p.project_id}",
        "id": p.project_id,
        "key": p.key,
        "name": p.name,
        "avatarUrls": {},
        "projectTypeKey": "software",
        "simplified": False,
        "style": "classic",
        "isPrivate": False,
        "properties": {},
    }


def _stamp(issue: JiraIssue, which: str) -> str:
    value = issue.created if which == "created" else issue.updated
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def issue_fields(issue: JiraIssue, p: JiraProject, base: str, version: str) -> dict[str, Any]:
    description: Any = issue.description
    if version == "2" and description is not None:
        description = adf_to_text(description)
    type_id = ISSUE_TYPES.get(issue.issue_type, "10001")
    return {
        "summary": issue.summary,
        "description": description,
        "issuetype": {"self": f"{base}/issuetype/{type_id}", "id": type_id,
                      "name": issue.issue_type, "subtask": False},
        "project": {"self": f"{base}/project/{p.project_id}", "id": p.project_id,
                    "key": p.key, "name": p.name, "projectTypeKey": "software"},
        "status": dict(STATUS, self=f"{base}/status/10000"),
        "reporter": {"accountId": issue.reporter_id},
        "creator": {"accountId": issue.reporter_id},
        "labels": list(issue.labels),
        "created": _stamp(issue, "created"),
        "updated": _stamp(issue, "updated"),
    }


def issue_body(
    issue: JiraIssue, p: JiraProject, base: str, version: str, wanted: set[str] | None
) -> dict[str, Any]:
    fields = issue_fields(issue, p, base, version)
    if wanted is not None:
        fields = {k: v for k, v in fields.items() if k in wanted}
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog",
        "id": issue.issue_id,
        "self": f"{base}/issue/{issue.issue_id}",
        "key": issue.key,
        "fields": fields,
    }


def wanted_fields(raw: str | None) -> set[str] | None:
    """Jira's ``fields`` parameter: ``*all`` / ``*navigable`` / absent → all; else a list,
    where ``-name`` removes a field."""
    if raw is None:
        return None
    names = {n.strip() for n in raw.split(",") if n.strip()}
    if not names or names & {"*all", "*navigable"}:
        removed = {n[1:] for n in names if n.startswith("-")}
        return None if not removed else {f for f in _ALL if f not in removed}
    return {n for n in names if not n.startswith("-")}


_ALL = ("summary", "description", "issuetype", "project", "status", "reporter", "creator",
        "labels", "created", "updated")


def jira_error(status: int, messages: list[str], errors: dict[str, str] | None = None) -> Any:
    return {"errorMessages": messages, "errors": errors or {}}
