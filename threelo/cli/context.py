"""What every command handler gets: its arguments, the settings and the output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

from threelo.core.ports import Store
from threelo.core.scopes import ScopeCatalogue
from threelo.settings import Settings


@dataclass
class Output:
    """``--json``: exactly one JSON object on stdout; otherwise friendly text."""

    json_mode: bool
    stream: TextIO = field(default_factory=lambda: sys.stdout)

    def result(self, obj: dict[str, object], text: str) -> None:
        print(json.dumps(obj) if self.json_mode else text, file=self.stream, flush=True)


@dataclass
class Invocation:
    args: argparse.Namespace
    settings: Settings
    out: Output

    def catalogue(self) -> ScopeCatalogue:
        """Built-in products plus those of ``THREELO_PRODUCTS_FILE``, as the server sees them."""
        from threelo.core.products_config import catalogue_from_settings

        return catalogue_from_settings(self.settings.products_file)

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The store, migrated first (idempotent) so commands work on a fresh database."""
        from threelo.storage import open_store

        store = open_store(self.settings.database_url, migrate=True)
        try:
            yield store
        finally:
            store.close()


def read_password(value: str) -> str:
    """``-`` reads the password from the first line of standard input (keeps it out of ps)."""
    if value != "-":
        return value
    return sys.stdin.readline().rstrip("\r\n")
