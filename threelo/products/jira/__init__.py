"""The built-in ``jira`` sample product (CONTRACT §5.4)."""

from __future__ import annotations

from sqlalchemy import Engine

from threelo.core.ports import Store
from threelo.products.jira.model import JiraRepo, MemoryJiraRepo
from threelo.products.jira.service import JiraService

__all__ = ["JiraRepo", "JiraService", "MemoryJiraRepo", "jira_repo_for"]


def jira_repo_for(store: Store) -> JiraRepo:
    """SQL stores keep the sample's data in their database; anything else in memory."""
    engine = getattr(store, "engine", None)
    if isinstance(engine, Engine):
        from threelo.products.jira.sql import SqlJiraRepo

        return SqlJiraRepo(engine)
    return MemoryJiraRepo()
