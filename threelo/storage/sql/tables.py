"""The schema: one table per domain value, plus link tables for site sets.

``migrations/versions/0001_initial.py`` creates exactly this schema; a test compares them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from threelo.storage.sql.types import JsonText, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

accounts = Table(
    "accounts", metadata,
    Column("account_id", String, primary_key=True),
    Column("email", String, nullable=False),
    Column("email_lower", String, nullable=False, unique=True),
    Column("name", String, nullable=False),
    Column("password_hash", String, nullable=False),
    Column("nickname", String, nullable=False),
    Column("picture", String, nullable=False),
    Column("zoneinfo", String, nullable=False),
    Column("locale", String, nullable=False),
    Column("status", String, nullable=False),
    Column("job_title", String, nullable=False),
    Column("organization", String, nullable=False),
    Column("department", String, nullable=False),
    Column("location", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
)  # fmt: skip

sites = Table(
    "sites", metadata,
    Column("cloud_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("url", String, nullable=False),
    Column("avatar_url", String, nullable=False),
    Column("products", JsonText, nullable=False),
)  # fmt: skip

memberships = Table(
    "memberships", metadata,
    Column("cloud_id", String, nullable=False),
    Column("account_id", String, nullable=False, index=True),
    Column("product", String, nullable=False),
    PrimaryKeyConstraint("cloud_id", "account_id", "product"),
)  # fmt: skip

site_admins = Table(
    "site_admins", metadata,
    Column("cloud_id", String, nullable=False),
    Column("account_id", String, nullable=False, index=True),
    PrimaryKeyConstraint("cloud_id", "account_id"),
)  # fmt: skip

apps = Table(
    "apps", metadata,
    Column("client_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("owner_id", String, nullable=False, index=True),
    Column("callback_urls", JsonText, nullable=False),
    Column("scopes", JsonText, nullable=False),
    Column("secret_digest", String, nullable=True),
    Column("public", Boolean, nullable=False),
    Column("resource_level", Boolean, nullable=False),
    Column("distribution", String, nullable=False),
    Column("scopes_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=True),
)  # fmt: skip

app_site_blocks = Table(
    "app_site_blocks", metadata,
    Column("client_id", String, nullable=False),
    Column("cloud_id", String, nullable=False),
    Column("blocked_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("client_id", "cloud_id"),
)  # fmt: skip

grants = Table(
    "grants", metadata,
    Column("grant_id", String, primary_key=True),
    Column("client_id", String, nullable=False),
    Column("account_id", String, nullable=False, index=True),
    Column("scopes", JsonText, nullable=False),
    Column("app_scopes_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    UniqueConstraint("client_id", "account_id"),  # CONTRACT §4.4: one grant per app and account
)  # fmt: skip

grant_sites = Table(
    "grant_sites", metadata,
    Column("grant_id", String, ForeignKey("grants.grant_id", ondelete="CASCADE"), nullable=False),
    Column("cloud_id", String, nullable=False, index=True),
    PrimaryKeyConstraint("grant_id", "cloud_id"),
)  # fmt: skip

token_families = Table(
    "token_families", metadata,
    Column("family_id", String, primary_key=True),
    Column("grant_id", String, nullable=False, index=True),  # no FK: a deleted grant kills tokens
    Column("client_id", String, nullable=False),
    Column("account_id", String, nullable=False, index=True),
    Column("offline", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("rotated_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revoked_reason", String, nullable=False),
)  # fmt: skip

family_sites = Table(
    "family_sites", metadata,
    Column(
        "family_id", String,
        ForeignKey("token_families.family_id", ondelete="CASCADE"), nullable=False,
    ),
    Column("cloud_id", String, nullable=False),
    PrimaryKeyConstraint("family_id", "cloud_id"),
)  # fmt: skip

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("digest", String, primary_key=True),
    Column("family_id", String, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("spent_at", UtcDateTime, nullable=True),
    Index(None, "family_id", "generation"),
)  # fmt: skip

authorization_codes = Table(
    "authorization_codes", metadata,
    Column("digest", String, primary_key=True),
    Column("client_id", String, nullable=False),
    Column("account_id", String, nullable=False),
    Column("grant_id", String, nullable=False, index=True),
    Column("redirect_uri", String, nullable=False),
    Column("scopes", JsonText, nullable=False),
    Column("sites", JsonText, nullable=False),
    Column("code_challenge", String, nullable=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("redeemed_at", UtcDateTime, nullable=True),
    Column("family_id", String, nullable=True),
)  # fmt: skip

pending_authorizations = Table(
    "pending_authorizations", metadata,
    Column("request_id", String, primary_key=True),
    Column("session_digest", String, nullable=False),
    Column("client_id", String, nullable=False),
    Column("redirect_uri", String, nullable=False),
    Column("scopes", JsonText, nullable=False),
    Column("state", String, nullable=True),
    Column("code_challenge", String, nullable=True),
    Column("prompt", String, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)  # fmt: skip

sessions = Table(
    "sessions", metadata,
    Column("digest", String, primary_key=True),
    Column("csrf_secret", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("account_id", String, nullable=True, index=True),
    Column("authenticated_at", UtcDateTime, nullable=True),
)  # fmt: skip

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String, primary_key=True),
    Column("algorithm", String, nullable=False),
    Column("private_pem", Text, nullable=False),
    Column("public_jwk", JsonText, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("retired_at", UtcDateTime, nullable=True),
)  # fmt: skip

audit_events = Table(
    "audit_events", metadata,
    Column(
        "id", BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True, autoincrement=True,
    ),
    Column("kind", String, nullable=False),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("account_id", String, nullable=True, index=True),
    Column("client_id", String, nullable=True, index=True),
    Column("cloud_id", String, nullable=True),
    Column("detail", JsonText, nullable=False),
)  # fmt: skip
