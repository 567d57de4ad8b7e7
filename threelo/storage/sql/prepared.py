"""Statements compiled once per dialect and run on the driver's own cursor.

SQLAlchemy builds the SQL text, the placeholder order and every column type's value converters
(``types.py``); this module keeps them and, per call, only converts the values and hands text and
values to the DB-API cursor. Going through ``Connection.execute`` instead costs tens of
microseconds per statement in SQLAlchemy's execution context and result machinery, which on the
token endpoint was most of the store's time (docs/performance.md).

A statement this cannot prepare (expanding ``IN`` lists, result columns that are not plain
identifiers, or that clash) is reported by :func:`prepare` as ``None``; the caller then runs it
through SQLAlchemy as before.
"""

from __future__ import annotations

import keyword
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Dialect, Executable
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

Converter = Callable[[Any], Any] | None
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Bind:
    """One placeholder: the caller's parameter name, a fixed value (from the statement itself,
    used when the caller gives none) and the column type's converter."""

    key: str
    rendered: str
    fixed: Any
    convert: Converter


@dataclass(frozen=True, slots=True)
class Prepared:
    sql: str
    positional: bool
    binds: tuple[Bind, ...]
    row_type: type[tuple[Any, ...]] | None  # None: the statement returns no rows
    convert_at: tuple[tuple[int, Callable[[Any], Any]], ...]  # result columns to convert

    def parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for ``params`` (raises ``KeyError`` for a missing one)."""
        if self.positional:
            return [_value(b, params) for b in self.binds]
        return {b.rendered: _value(b, params) for b in self.binds}

    def row(self, raw: Sequence[Any]) -> Any:
        make = self.row_type._make  # type: ignore[union-attr]
        if not self.convert_at:
            return make(raw)
        values = list(raw)
        for i, convert in self.convert_at:
            value = values[i]
            if value is not None:
                values[i] = convert(value)
        return make(values)


def _value(bind: Bind, params: Mapping[str, Any]) -> Any:
    value = params.get(bind.key, _MISSING)
    if value is _MISSING:
        value = bind.fixed
        if value is _MISSING:
            raise KeyError(f"no value for the parameter {bind.key!r}")
    if bind.convert is not None and value is not None:
        return bind.convert(value)
    return value


def prepare(
    statement: Executable, dialect: Dialect, keys: Sequence[str] | None = None
) -> Prepared | None:
    """Compile ``statement`` for ``dialect`` (INSERTs without ``values()`` for ``keys``)."""
    if not isinstance(statement, ClauseElement):
        return None
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
    if not isinstance(compiled, SQLCompiler) or "POSTCOMPILE" in compiled.string:
        return None
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    if names is None:
        return None
    binds = []
    for name in names:
        bp: BindParameter[Any] = compiled.binds[name]
        if bp.expanding or bp.callable is not None:
            return None
        fixed = _MISSING if bp.required else bp.value
        convert = bp.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append(Bind(bp.key, name, fixed, convert))
    columns = _result_columns(statement)
    if columns is _UNSUPPORTED:
        return None
    row_type: Any = None
    convert_at: list[tuple[int, Callable[[Any], Any]]] = []
    if columns:
        row_type = namedtuple("Record", [name for name, _ in columns])  # type: ignore[misc,no-redef]
        for i, (_, kind) in enumerate(columns):
            convert = kind.dialect_impl(dialect).result_processor(dialect, None)
            if convert is not None:
                convert_at.append((i, convert))
    return Prepared(
        compiled.string, compiled.positional, tuple(binds), row_type, tuple(convert_at)
    )


_UNSUPPORTED: list[tuple[str, Any]] = [("", None)]


def _result_columns(statement: Executable) -> list[tuple[str, Any]]:
    if isinstance(statement, Select):
        columns = [(str(c.key), c.type) for c in statement.selected_columns]
    elif isinstance(statement, UpdateBase):
        columns = [(str(c.key), c.type) for c in statement.exported_columns]
    else:
        return _UNSUPPORTED
    names = [name for name, _ in columns]
    usable = all(n.isidentifier() and not n.startswith("_") and not keyword.iskeyword(n)
                 for n in names)  # fmt: skip
    if not usable or len(set(names)) != len(names):
        return _UNSUPPORTED
    return columns
