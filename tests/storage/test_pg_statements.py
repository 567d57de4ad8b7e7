"""Statements handed to libpq (storage/sql/pg_pipeline.py): SQLAlchemy's ``%(name)s``
placeholders become ``$n`` in order of first use, and an escaped ``%%`` becomes ``%``."""

from __future__ import annotations

from threelo.storage.sql.pg_pipeline import _Native


def test_placeholders_are_numbered_by_first_use_and_a_repeated_name_keeps_its_number() -> None:
    native = _Native("SELECT %(b)s::VARCHAR, %(a)s::INTEGER WHERE x = %(b)s::VARCHAR", "utf-8")
    assert native.query == b"SELECT $1::VARCHAR, $2::INTEGER WHERE x = $1::VARCHAR"
    assert native.names == ("b", "a")


def test_an_escaped_percent_sign_reaches_the_server_as_one() -> None:
    native = _Native("SELECT name FROM t WHERE name LIKE 'a%%' AND id = %(id)s", "utf-8")
    assert native.query == b"SELECT name FROM t WHERE name LIKE 'a%' AND id = $1"
    assert native.names == ("id",)


def test_a_statement_without_placeholders_is_unchanged() -> None:
    assert _Native("SELECT 1", "utf-8").query == b"SELECT 1"
