"""SQLite-backed token and flow stores (``sqlite3`` from the standard library).

Several processes of one app may share the file: flows started on one process complete on
another, and a rotated refresh token written by one is read by all.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .flow_store import PendingFlow
from .tokens import TokenSet

__all__ = ["SqliteFlowStore", "SqliteTokenStore"]

_TOKEN_SCHEMA = """
CREATE TABLE IF NOT EXISTS threelo_sdk_tokens (
    key TEXT PRIMARY KEY,
    access_token TEXT NOT NULL,
    token_type TEXT NOT NULL,
    expires_at REAL NOT NULL,
    refresh_token TEXT,
    scope TEXT NOT NULL
)
"""

_FLOW_SCHEMA = """
CREATE TABLE IF NOT EXISTS threelo_sdk_flows (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    binding TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    issuer TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    return_to TEXT
)
"""


class _Database:
    def __init__(self, path: str | Path, schema: str) -> None:
        self._conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._lock = threading.Lock()
        with self.transaction() as cur:
            cur.execute(schema)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class SqliteTokenStore:
    """A :class:`~threelo.sdk.token_store.TokenStore` in one SQLite table."""

    def __init__(self, path: str | Path) -> None:
        self._db = _Database(path, _TOKEN_SCHEMA)

    def get(self, key: str) -> TokenSet | None:
        with self._db.transaction() as cur:
            row = cur.execute(
                "SELECT access_token, token_type, expires_at, refresh_token, scope "
                "FROM threelo_sdk_tokens WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        return TokenSet(
            access_token=row[0],
            token_type=row[1],
            expires_at=row[2],
            refresh_token=row[3],
            scope=row[4],
        )

    def put(self, key: str, tokens: TokenSet) -> None:
        with self._db.transaction() as cur:
            cur.execute(
                "INSERT INTO threelo_sdk_tokens "
                "(key, access_token, token_type, expires_at, refresh_token, scope) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "access_token = excluded.access_token, token_type = excluded.token_type, "
                "expires_at = excluded.expires_at, refresh_token = excluded.refresh_token, "
                "scope = excluded.scope",
                (
                    key,
                    tokens.access_token,
                    tokens.token_type,
                    tokens.expires_at,
                    tokens.refresh_token,
                    tokens.scope,
                ),
            )

    def delete(self, key: str) -> None:
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM threelo_sdk_tokens WHERE key = ?", (key,))

    def close(self) -> None:
        self._db.close()


class SqliteFlowStore:
    """A :class:`~threelo.sdk.flow_store.FlowStore` whose ``take`` is one transaction."""

    def __init__(self, path: str | Path) -> None:
        self._db = _Database(path, _FLOW_SCHEMA)

    def put(self, key: str, flow: PendingFlow) -> None:
        with self._db.transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO threelo_sdk_flows (key, state, binding, code_verifier, "
                "redirect_uri, issuer, created_at, expires_at, return_to) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    flow.state,
                    flow.binding,
                    flow.code_verifier,
                    flow.redirect_uri,
                    flow.issuer,
                    flow.created_at,
                    flow.expires_at,
                    flow.return_to,
                ),
            )

    def take(self, key: str) -> PendingFlow | None:
        with self._db.transaction() as cur:
            row = cur.execute(
                "SELECT state, binding, code_verifier, redirect_uri, issuer, created_at, "
                "expires_at, return_to FROM threelo_sdk_flows WHERE key = ?",
                (key,),
            ).fetchone()
            cur.execute("DELETE FROM threelo_sdk_flows WHERE key = ?", (key,))
        if row is None:
            return None
        return PendingFlow(
            state=row[0],
            binding=row[1],
            code_verifier=row[2],
            redirect_uri=row[3],
            issuer=row[4],
            created_at=row[5],
            expires_at=row[6],
            return_to=row[7],
        )

    def discard_expired(self, now: float) -> None:
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM threelo_sdk_flows WHERE expires_at <= ?", (now,))

    def close(self) -> None:
        self._db.close()
