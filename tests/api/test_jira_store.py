"""The Jira sample's store port: memory and SQL (SQLite, PostgreSQL) behave alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from threelo.core.ports import Store
from threelo.products.jira import MemoryJiraRepo, jira_repo_for
from threelo.products.jira.model import IssueDraft, JiraRepo, sample_project
from threelo.storage import open_store

CLOUD = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql",
                                                         marks=pytest.mark.postgres)])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JiraRepo]:
    if request.param == "memory":
        yield MemoryJiraRepo()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jira.db'}"
    else:
        url = request.getfixturevalue("fresh_database_url")("postgresql")
    store: Store = open_store(url)
    try:
        yield jira_repo_for(store)
    finally:
        store.close()


def draft(summary: str) -> IssueDraft:
    return IssueDraft("ALPHA", summary, "Task", None, "acc-1", ("x",))


def test_projects_are_made_once_per_site(repo: JiraRepo) -> None:
    first = repo.add_project(sample_project(CLOUD, "Alpha"))
    again = repo.add_project(sample_project(CLOUD, "Other name"))
    assert first == again == repo.project(CLOUD)
    assert first.key == "ALPHA"


def test_issues_are_numbered_found_and_paged(repo: JiraRepo) -> None:
    repo.add_project(sample_project(CLOUD, "Alpha"))
    at = datetime(2026, 1, 1, tzinfo=UTC)
    made = [repo.add_issue(CLOUD, draft(f"n{i}"), at) for i in range(3)]
    assert [i.key for i in made] == ["ALPHA-1", "ALPHA-2", "ALPHA-3"]
    assert repo.issue(CLOUD, "ALPHA-2") == made[1]
    assert repo.issue(CLOUD, "10003") == made[2]
    assert repo.issue(CLOUD, "OTHER-2") is None
    assert repo.issue(CLOUD, "ALPHA-9") is None
    page, total = repo.issues(CLOUD, "ALPHA", start=1, limit=1, descending=True)
    assert total == 3 and [i.key for i in page] == ["ALPHA-2"]


def test_sample_project_keys() -> None:
    assert sample_project(CLOUD, "acme-site 2").key == "ACMESITE2"
    assert sample_project(CLOUD, "9").key == "SAMPLE"
    assert sample_project(CLOUD, "Very Long Site Name").key == "VERYLONGSI"
