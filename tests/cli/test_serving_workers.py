"""How many server processes `threelo serve` runs, and what they are told."""

from __future__ import annotations

import os

import pytest

from threelo.settings import Settings
from threelo.web import server


def test_sqlite_is_served_by_up_to_two_processes_and_postgresql_by_one_per_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for cores, expected in ((1, 1), (2, 2), (8, 2)):
        monkeypatch.setattr(server.os, "cpu_count", lambda cores=cores: cores)
        assert server.worker_count(Settings(database_url="sqlite:///x.db")) == expected
    monkeypatch.undo()
    # An in-memory database exists in one process only: a second would see another database.
    assert server.worker_count(Settings(database_url="sqlite://")) == 1
    assert server.worker_count(Settings(database_url="sqlite:///:memory:")) == 1
    pg = Settings(database_url="postgresql://postgres@127.0.0.1/test")
    assert server.worker_count(pg) == (os.cpu_count() or 1)
    assert server.worker_count(Settings(database_url="sqlite:///x.db", workers=3)) == 3


def test_worker_processes_get_the_settings_the_command_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    for name in ("THREELO_DATABASE_URL", "THREELO_ISSUER", "THREELO_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        database_url="sqlite:///demo.db", issuer="http://127.0.0.1:9123", workers=2,
        secret_key="k" * 40,
    )  # fmt: skip
    server.serve(settings, "127.0.0.1", 9123)
    assert seen["workers"] == 2 and seen["factory"] is True
    assert seen["http"] == server.HTTP_PROTOCOL  # each response in one socket write
    assert os.environ["THREELO_DATABASE_URL"] == "sqlite:///demo.db"
    assert os.environ["THREELO_ISSUER"] == "http://127.0.0.1:9123"
    assert os.environ["THREELO_SECRET_KEY"] == "k" * 40
