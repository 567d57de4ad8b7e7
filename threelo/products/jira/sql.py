"""The Jira sample's data in threelo's SQL database (tables from migration 0002_jira_sample)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from threelo.products.jira.model import IssueDraft, JiraIssue, JiraProject, split_issue_ref
from threelo.storage.sql.engine import WRITE_OPTION

metadata = MetaData()

projects = Table(
    "jira_sample_projects",
    metadata,
    Column("cloud_id", String(36), primary_key=True),
    Column("project_id", String(20), nullable=False),
    Column("project_key", String(10), nullable=False),
    Column("name", String(255), nullable=False),
    Column("issue_count", Integer, nullable=False, default=0),
)

issues = Table(
    "jira_sample_issues",
    metadata,
    Column("cloud_id", String(36), nullable=False),
    Column("number", Integer, nullable=False),
    Column("project_key", String(10), nullable=False),
    Column("summary", String(255), nullable=False),
    Column("issue_type", String(40), nullable=False),
    Column("description", Text, nullable=True),  # ADF as JSON text
    Column("reporter_id", String(128), nullable=False),
    Column("labels", Text, nullable=False),  # JSON array
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("cloud_id", "number"),
    UniqueConstraint("cloud_id", "project_key", "number"),
)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _issue(row: Any) -> JiraIssue:
    return JiraIssue(
        cloud_id=row.cloud_id,
        number=row.number,
        project_key=row.project_key,
        summary=row.summary,
        issue_type=row.issue_type,
        description=json.loads(row.description) if row.description else None,
        reporter_id=row.reporter_id,
        labels=tuple(json.loads(row.labels)),
        created=_aware(row.created_at),
        updated=_aware(row.updated_at),
    )


class SqlJiraRepo:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def project(self, cloud_id: str) -> JiraProject | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(projects).where(projects.c.cloud_id == cloud_id)).first()
        if row is None:
            return None
        return JiraProject(row.cloud_id, row.project_id, row.project_key, row.name)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A writing unit of work (SQLite: ``BEGIN IMMEDIATE``, see storage/sql/engine.py)."""
        with self._engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    def add_project(self, project: JiraProject) -> JiraProject:
        try:
            with self._writing() as conn:
                conn.execute(insert(projects).values(
                    cloud_id=project.cloud_id, project_id=project.project_id,
                    project_key=project.key, name=project.name, issue_count=0))
        except IntegrityError:
            pass  # created meanwhile by another request or process
        found = self.project(project.cloud_id)
        assert found is not None
        return found

    def add_issue(self, cloud_id: str, draft: IssueDraft, at: datetime) -> JiraIssue:
        with self._writing() as conn:
            # The row update takes the project's write lock: numbers never repeat.
            conn.execute(update(projects).where(projects.c.cloud_id == cloud_id)
                         .values(issue_count=projects.c.issue_count + 1))
            number = conn.execute(select(projects.c.issue_count)
                                  .where(projects.c.cloud_id == cloud_id)).scalar_one()
            conn.execute(insert(issues).values(
                cloud_id=cloud_id, number=number, project_key=draft.project_key,
                summary=draft.summary, issue_type=draft.issue_type,
                description=json.dumps(draft.description) if draft.description else None,
                reporter_id=draft.reporter_id, labels=json.dumps(list(draft.labels)),
                created_at=at, updated_at=at))
        return JiraIssue(cloud_id, number, draft.project_key, draft.summary, draft.issue_type,
                         draft.description, draft.reporter_id, draft.labels, at, at)

    def issue(self, cloud_id: str, id_or_key: str) -> JiraIssue | None:
        number, key = split_issue_ref(id_or_key)
        if number is None:
            return None
        query = select(issues).where(issues.c.cloud_id == cloud_id, issues.c.number == number)
        if key is not None:
            query = query.where(issues.c.project_key == key)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _issue(row)

    def issues(
        self, cloud_id: str, project_key: str, *, start: int, limit: int, descending: bool
    ) -> tuple[Sequence[JiraIssue], int]:
        where = (issues.c.cloud_id == cloud_id, issues.c.project_key == project_key)
        order = issues.c.number.desc() if descending else issues.c.number.asc()
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(issues).where(*where).order_by(order).offset(start).limit(limit)
            ).all()
            total = conn.execute(
                select(func.count()).select_from(issues).where(*where)
            ).scalar_one()
        return [_issue(r) for r in rows], total
