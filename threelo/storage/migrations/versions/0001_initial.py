"""The initial schema: directory, apps, grants, tokens, sessions, keys and audit.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from threelo.storage.sql.types import JsonText, UtcDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(name, JsonText(), nullable=False)


def _directory() -> None:
    op.create_table(
        "accounts",
        _text("account_id"), _text("email"), _text("email_lower"), _text("name"),
        _text("password_hash"), _text("nickname"), _text("picture"), _text("zoneinfo"),
        _text("locale"), _text("status"), _text("job_title"), _text("organization"),
        _text("department"), _text("location"), _time("created_at", nullable=True),
        sa.PrimaryKeyConstraint("account_id", name="pk_accounts"),
        sa.UniqueConstraint("email_lower", name="uq_accounts_email_lower"),
    )  # fmt: skip
    op.create_table(
        "sites",
        _text("cloud_id"), _text("name"), _text("url"), _text("avatar_url"), _json("products"),
        sa.PrimaryKeyConstraint("cloud_id", name="pk_sites"),
    )  # fmt: skip
    op.create_table(
        "memberships",
        _text("cloud_id"), _text("account_id"), _text("product"),
        sa.PrimaryKeyConstraint("cloud_id", "account_id", "product", name="pk_memberships"),
    )  # fmt: skip
    op.create_index("ix_memberships_account_id", "memberships", ["account_id"])
    op.create_table(
        "site_admins",
        _text("cloud_id"), _text("account_id"),
        sa.PrimaryKeyConstraint("cloud_id", "account_id", name="pk_site_admins"),
    )  # fmt: skip
    op.create_index("ix_site_admins_account_id", "site_admins", ["account_id"])


def _apps() -> None:
    op.create_table(
        "apps",
        _text("client_id"), _text("name"), _text("owner_id"),
        _json("callback_urls"), _json("scopes"), _text("secret_digest", nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("resource_level", sa.Boolean(), nullable=False),
        _text("distribution"),
        sa.Column("scopes_version", sa.Integer(), nullable=False),
        _time("created_at", nullable=True),
        sa.PrimaryKeyConstraint("client_id", name="pk_apps"),
    )  # fmt: skip
    op.create_index("ix_apps_owner_id", "apps", ["owner_id"])
    op.create_table(
        "app_site_blocks",
        _text("client_id"), _text("cloud_id"), _time("blocked_at"),
        sa.PrimaryKeyConstraint("client_id", "cloud_id", name="pk_app_site_blocks"),
    )  # fmt: skip


def _grants() -> None:
    op.create_table(
        "grants",
        _text("grant_id"), _text("client_id"), _text("account_id"), _json("scopes"),
        sa.Column("app_scopes_version", sa.Integer(), nullable=False),
        _time("created_at"), _time("updated_at"), _time("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("grant_id", name="pk_grants"),
        sa.UniqueConstraint("client_id", "account_id", name="uq_grants_client_id_account_id"),
    )  # fmt: skip
    op.create_index("ix_grants_account_id", "grants", ["account_id"])
    op.create_table(
        "grant_sites",
        _text("grant_id"), _text("cloud_id"),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.grant_id"], name="fk_grant_sites_grant_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("grant_id", "cloud_id", name="pk_grant_sites"),
    )  # fmt: skip
    op.create_index("ix_grant_sites_cloud_id", "grant_sites", ["cloud_id"])


def _families() -> None:
    op.create_table(
        "token_families",
        _text("family_id"), _text("grant_id"), _text("client_id"), _text("account_id"),
        sa.Column("offline", sa.Boolean(), nullable=False),
        _time("created_at"), _time("last_used_at"),
        sa.Column("generation", sa.Integer(), nullable=False),
        _time("rotated_at", nullable=True), _time("revoked_at", nullable=True),
        _text("revoked_reason"),
        sa.PrimaryKeyConstraint("family_id", name="pk_token_families"),
    )  # fmt: skip
    op.create_index("ix_token_families_grant_id", "token_families", ["grant_id"])
    op.create_index("ix_token_families_account_id", "token_families", ["account_id"])
    op.create_table(
        "family_sites",
        _text("family_id"), _text("cloud_id"),
        sa.ForeignKeyConstraint(
            ["family_id"], ["token_families.family_id"],
            name="fk_family_sites_family_id", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("family_id", "cloud_id", name="pk_family_sites"),
    )  # fmt: skip


def _tokens() -> None:
    op.create_table(
        "refresh_tokens",
        _text("digest"), _text("family_id"),
        sa.Column("generation", sa.Integer(), nullable=False),
        _time("issued_at"), _time("spent_at", nullable=True),
        sa.PrimaryKeyConstraint("digest", name="pk_refresh_tokens"),
    )  # fmt: skip
    op.create_index(
        "ix_refresh_tokens_family_id_generation", "refresh_tokens", ["family_id", "generation"]
    )
    op.create_table(
        "authorization_codes",
        _text("digest"), _text("client_id"), _text("account_id"), _text("grant_id"),
        _text("redirect_uri"), _json("scopes"), _json("sites"),
        _text("code_challenge", nullable=True), _time("issued_at"), _time("expires_at"),
        _time("redeemed_at", nullable=True), _text("family_id", nullable=True),
        sa.PrimaryKeyConstraint("digest", name="pk_authorization_codes"),
    )  # fmt: skip
    op.create_index("ix_authorization_codes_grant_id", "authorization_codes", ["grant_id"])


def _sessions() -> None:
    op.create_table(
        "pending_authorizations",
        _text("request_id"), _text("session_digest"), _text("client_id"),
        _text("redirect_uri"), _json("scopes"), _text("state", nullable=True),
        _text("code_challenge", nullable=True), _text("prompt", nullable=True),
        _time("created_at"), _time("expires_at"),
        sa.PrimaryKeyConstraint("request_id", name="pk_pending_authorizations"),
    )  # fmt: skip
    op.create_table(
        "sessions",
        _text("digest"), _text("csrf_secret"), _time("created_at"), _time("expires_at"),
        _text("account_id", nullable=True), _time("authenticated_at", nullable=True),
        sa.PrimaryKeyConstraint("digest", name="pk_sessions"),
    )  # fmt: skip
    op.create_index("ix_sessions_account_id", "sessions", ["account_id"])


def _keys_and_audit() -> None:
    op.create_table(
        "signing_keys",
        _text("kid"), _text("algorithm"),
        sa.Column("private_pem", sa.Text(), nullable=False),
        _json("public_jwk"), _time("created_at"), _time("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("kid", name="pk_signing_keys"),
    )  # fmt: skip
    op.create_table(
        "audit_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True, nullable=False,
        ),
        _text("kind"), _time("at"), _text("account_id", nullable=True),
        _text("client_id", nullable=True), _text("cloud_id", nullable=True), _json("detail"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )  # fmt: skip
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_account_id", "audit_events", ["account_id"])
    op.create_index("ix_audit_events_client_id", "audit_events", ["client_id"])


def upgrade() -> None:
    _directory()
    _apps()
    _grants()
    _families()
    _tokens()
    _sessions()
    _keys_and_audit()


def downgrade() -> None:
    for table in (
        "audit_events", "signing_keys", "sessions", "pending_authorizations",
        "authorization_codes", "refresh_tokens", "family_sites", "token_families",
        "grant_sites", "grants", "app_site_blocks", "apps", "site_admins", "memberships",
        "sites", "accounts",
    ):  # fmt: skip
        op.drop_table(table)
