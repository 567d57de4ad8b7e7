"""Apply the Alembic migrations in ``threelo/storage/migrations`` from code (no alembic.ini).

Several server processes may start at once: PostgreSQL migrations run under a transaction-scoped
advisory lock and SQLite ones inside ``BEGIN IMMEDIATE``, so exactly one process migrates and the
others find the schema current.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

from threelo.storage.sql import engine as engines
from threelo.storage.sql.boundary import translated

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK = 0x7468_7265_656C_6F  # "threelo"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest revision."""
    engine = engines.create(url)
    try:
        upgrade_engine(engine)
    finally:
        engine.dispose()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    with translated(), engine.connect() as connection:
        connection.execution_options(**{engines.WRITE_OPTION: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK}
                )
            command.upgrade(alembic_config(connection), revision)


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None before the first migration."""
    engine = engines.create(url)
    try:
        with translated(), engine.connect() as connection:
            revision: str | None = MigrationContext.configure(connection).get_current_revision()
            return revision
    finally:
        engine.dispose()
