"""The storage package's own failure besides ``Conflict`` and ``ValueError``.

Driver and ORM exceptions never leave ``threelo.storage`` (STYLE.md habit 4): a unique rule
becomes :class:`~threelo.core.ports.Conflict`, a value the database refuses becomes
``ValueError``, and anything else (server gone, lock wait timed out) becomes
:class:`StorageUnavailable`.
"""

from __future__ import annotations


class StorageUnavailable(RuntimeError):
    """The database could not carry out the unit of work; retrying later may succeed."""


class ReadOnlyTransaction(RuntimeError):
    """A write was attempted inside ``Store.reader()``."""
