"""Alembic migrations for the threelo schema, run through ``threelo.storage.migrate``."""
