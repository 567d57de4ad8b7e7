"""Tables of the built-in Jira sample product.

Revision ID: 0002_jira_sample
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_jira_sample"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jira_sample_projects",
        sa.Column("cloud_id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(20), nullable=False),
        sa.Column("project_key", sa.String(10), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("issue_count", sa.Integer, nullable=False),
    )
    op.create_table(
        "jira_sample_issues",
        sa.Column("cloud_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("project_key", sa.String(10), nullable=False),
        sa.Column("summary", sa.String(255), nullable=False),
        sa.Column("issue_type", sa.String(40), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("reporter_id", sa.String(128), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cloud_id", "number"),
        sa.UniqueConstraint("cloud_id", "project_key", "number"),
    )


def downgrade() -> None:
    op.drop_table("jira_sample_issues")
    op.drop_table("jira_sample_projects")
