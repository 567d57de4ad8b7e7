"""The Jira sample's data: one project per site, its issues; a small port and a memory store."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

FIRST_ISSUE_ID = 10000
PROJECT_ID = "10000"


@dataclass(frozen=True, slots=True)
class JiraProject:
    cloud_id: str
    project_id: str
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class IssueDraft:
    project_key: str
    summary: str
    issue_type: str
    description: dict[str, Any] | None  # an ADF document (v3 form); v2 text is converted
    reporter_id: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class JiraIssue:
    cloud_id: str
    number: int
    project_key: str
    summary: str
    issue_type: str
    description: dict[str, Any] | None
    reporter_id: str
    labels: tuple[str, ...]
    created: datetime
    updated: datetime

    @property
    def issue_id(self) -> str:
        return str(FIRST_ISSUE_ID + self.number)

    @property
    def key(self) -> str:
        return f"{self.project_key}-{self.number}"


class JiraRepo(Protocol):
    def project(self, cloud_id: str) -> JiraProject | None: ...
    def add_project(self, project: JiraProject) -> JiraProject:
        """Store ``project`` unless the site has one already; return the site's project."""
        ...

    def add_issue(self, cloud_id: str, draft: IssueDraft, at: datetime) -> JiraIssue: ...
    def issue(self, cloud_id: str, id_or_key: str) -> JiraIssue | None: ...
    def issues(
        self, cloud_id: str, project_key: str, *, start: int, limit: int, descending: bool
    ) -> tuple[Sequence[JiraIssue], int]: ...


def sample_project(cloud_id: str, site_name: str) -> JiraProject:
    """Key from the site name's letters (Jira keys: upper-case letter first, ≤ 10 chars)."""
    letters = re.sub(r"[^A-Z0-9]", "", site_name.upper())
    letters = letters.lstrip("0123456789")
    key = (letters[:10] or "SAMPLE") if len(letters) >= 2 else "SAMPLE"
    return JiraProject(cloud_id, PROJECT_ID, key, f"{site_name} sample project")


def split_issue_ref(id_or_key: str) -> tuple[int | None, str | None]:
    """``10003`` → (3, None); ``KEY-3`` → (3, "KEY"); anything else → (None, None)."""
    if id_or_key.isdigit() and len(id_or_key) < 12:
        number = int(id_or_key) - FIRST_ISSUE_ID
        return (number, None) if number > 0 else (None, None)
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9]{0,9})-([1-9][0-9]{0,9})", id_or_key)
    if match is None:
        return None, None
    return int(match.group(2)), match.group(1).upper()


class MemoryJiraRepo:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._projects: dict[str, JiraProject] = {}
        self._issues: dict[str, list[JiraIssue]] = {}

    def project(self, cloud_id: str) -> JiraProject | None:
        return self._projects.get(cloud_id)

    def add_project(self, project: JiraProject) -> JiraProject:
        with self._lock:
            return self._projects.setdefault(project.cloud_id, project)

    def add_issue(self, cloud_id: str, draft: IssueDraft, at: datetime) -> JiraIssue:
        with self._lock:
            issues = self._issues.setdefault(cloud_id, [])
            issue = JiraIssue(cloud_id, len(issues) + 1, draft.project_key, draft.summary,
                              draft.issue_type, draft.description, draft.reporter_id,
                              draft.labels, at, at)
            issues.append(issue)
            return replace(issue)

    def issue(self, cloud_id: str, id_or_key: str) -> JiraIssue | None:
        number, key = split_issue_ref(id_or_key)
        issues = self._issues.get(cloud_id, [])
        if number is None or number > len(issues):
            return None
        found = issues[number - 1]
        return found if key is None or key == found.project_key else None

    def issues(
        self, cloud_id: str, project_key: str, *, start: int, limit: int, descending: bool
    ) -> tuple[Sequence[JiraIssue], int]:
        found = [i for i in self._issues.get(cloud_id, []) if i.project_key == project_key]
        if descending:
            found.reverse()
        return found[start:start + limit], len(found)
