"""Values every store accepts alike, so the storage suite behaves the same on all of them.

Text: PostgreSQL ``text`` cannot hold NUL (U+0000), so a value being written that contains NUL
is refused with ``ValueError`` and a lookup key containing NUL matches nothing.
Times: aware ``datetime`` values only (naive ones raise ``ValueError``), given back in UTC.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

R = TypeVar("R")

NUL = "\x00"


def has_nul(*keys: str | None) -> bool:
    return any(key is not None and NUL in key for key in keys)


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, Mapping):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, tuple | list | set | frozenset):
        return any(_contains_nul(item) for item in value)
    return False


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(kind))
    return names


def reject_nul(record: Any) -> None:
    """Raise ``ValueError`` when any text field of the dataclass ``record`` contains NUL."""
    for name in _field_names(type(record)):
        value = getattr(record, name)
        if NUL in value if type(value) is str else _contains_nul(value):
            raise ValueError(f"{type(record).__name__}.{name} contains a NUL character")


def reject_nul_values(**values: str | None) -> None:
    for name, value in values.items():
        if has_nul(value):
            raise ValueError(f"{name} contains a NUL character")


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC)


def checked(record: R) -> R:
    """``record`` with NUL refused and every timestamp in UTC (for the memory store)."""
    reject_nul(record)
    changes = {
        field.name: utc(value)
        for field in dataclasses.fields(record)  # type: ignore[arg-type]
        if isinstance(value := getattr(record, field.name), datetime)
    }
    return dataclasses.replace(record, **changes) if changes else record  # type: ignore[type-var]
