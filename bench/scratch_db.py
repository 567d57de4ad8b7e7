"""A throw-away PostgreSQL database beside the one a benchmark is pointed at.

The micro-benchmarks create threelo's schema; they get their own database on the same server,
dropped when they finish, so the database named on the command line is left as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """Yield the URL of a new, empty database on ``url``'s server; drop it afterwards."""
    parsed = make_url(url)
    name = f"threelo_bench_{os.getpid()}"
    admin = parsed.set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(
            admin.render_as_string(hide_password=False), autocommit=True
        ) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
