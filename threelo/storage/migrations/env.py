"""Alembic environment: online only, on the connection ``threelo.storage.migrate`` hands over.

Migrations are written by hand (no autogenerate), so no target metadata is needed here.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with threelo.storage.migrate.upgrade(url)")

context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
