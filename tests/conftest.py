"""Shared fixtures: databases for the storage suite, and the switches that turn skips into failures.

Tests needing PostgreSQL or a browser skip when it is missing, unless the environment says it is
required (``THREELO_REQUIRE_POSTGRES=1``, ``THREELO_REQUIRE_BROWSER=1``): then they fail, so a CI
job that promises PostgreSQL cannot pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from threelo.core.ports import Store
from threelo.storage import MemoryStore, SqlStore, open_store
from threelo.storage.migrate import upgrade_engine

POSTGRES_URL_ENV = "THREELO_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
STORE_KINDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def skip_unless_required(reason: str, switch: str) -> None:
    """Skip the test, or fail it when the environment variable ``switch`` is ``1``."""
    if os.environ.get(switch) == "1":
        pytest.fail(f"{reason} (required by {switch}=1)", pytrace=False)
    pytest.skip(reason)


# --- PostgreSQL -----------------------------------------------------------------------------


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _admin_connection(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(_libpq_url(url), autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    try:
        with _admin_connection(url):
            pass
    except psycopg.Error as exc:
        reason = f"PostgreSQL unreachable at {url}: {str(exc).strip().splitlines()[0]}"
        skip_unless_required(reason, "THREELO_REQUIRE_POSTGRES")
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A database of its own for this test session, dropped at the end."""
    name = f"threelo_t_{secrets.token_hex(6)}"
    with _admin_connection(postgres_admin_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connection(postgres_admin_url) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def fresh_database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], str]]:
    """``fresh_database_url(kind)`` -> the URL of an empty database of that kind.

    ``memory`` -> ``memory://``; ``sqlite`` -> a new file; ``postgresql`` -> a new schema in the
    session's database (selected through the URL's ``search_path``), dropped after the test.
    """
    schemas: list[tuple[str, str]] = []

    def make(kind: str) -> str:
        if kind == "memory":
            return "memory://"
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'db-{secrets.token_hex(4)}.sqlite'}"
        if kind == "postgresql":
            database_url: str = request.getfixturevalue("postgres_url")
            schema = f"s_{secrets.token_hex(6)}"
            with _admin_connection(database_url) as admin:
                admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            schemas.append((database_url, schema))
            return _with_search_path(database_url, schema)
        raise ValueError(f"unknown database kind {kind!r}")

    yield make
    for database_url, schema in schemas:
        with _admin_connection(database_url) as admin:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(scope="session")
def _postgres_suite_store(postgres_url: str) -> Iterator[SqlStore]:
    """One migrated PostgreSQL store for the whole session; each test starts from empty tables."""
    store = SqlStore(postgres_url)
    upgrade_engine(store.engine)
    yield store
    store.close()


def _emptied(store: SqlStore) -> SqlStore:
    with store.engine.begin() as connection:
        names = connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename <> 'alembic_version'"
        ).scalars()
        for name in list(names):  # DELETE beats TRUNCATE on tables this small
            connection.exec_driver_sql(f'DELETE FROM "{name}"')
    return store


# --- stores ---------------------------------------------------------------------------------


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "threelo.db"
    open_store(f"sqlite:///{path}").close()  # closing the last connection checkpoints the WAL
    return path


@pytest.fixture
def sqlite_store(tmp_path: Path, _sqlite_template: Path) -> Iterator[Store]:
    path = tmp_path / "threelo.db"
    shutil.copyfile(_sqlite_template, path)
    store = open_store(f"sqlite:///{path}")
    yield store
    store.close()


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest) -> Store:
    """The same test against the memory, SQLite and PostgreSQL stores."""
    kind: str = request.param
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        found: Store = request.getfixturevalue("sqlite_store")
        return found
    return _emptied(request.getfixturevalue("_postgres_suite_store"))


# --- browser --------------------------------------------------------------------------------


def require_browser() -> None:
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append(CHROMIUM)
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package")
    if missing:
        skip_unless_required(
            f"browser tests need {' and '.join(missing)}", "THREELO_REQUIRE_BROWSER"
        )


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable for browser tests (skips, or fails when required, without it)."""
    require_browser()
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """A headless Chromium driven by Playwright, shared by one module's browser tests.

    Playwright's sync API keeps an event loop running on this thread while it is open, so the
    browser closes with its module and asyncio tests in later modules get the thread back."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
