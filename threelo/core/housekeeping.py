"""Dropping what has expired: sessions, pending authorization requests and old codes.

Anonymous sessions are made by every fresh sign-in form, so without a sweep they would grow
without bound. Codes are kept a day past their expiry so that a late replay is still
recognised and still revokes what the code produced (RFC 6749 §4.1.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from threelo.core.platform import Platform

CODE_GRACE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Purged:
    sessions: int
    pending: int
    codes: int


def purge_expired(platform: Platform) -> Purged:
    now = platform.clock.now()
    with platform.store.transaction() as tx:
        return Purged(
            sessions=tx.sessions.purge_expired(now),
            pending=tx.pending.purge_expired(now),
            codes=tx.codes.purge_expired(now - CODE_GRACE),
        )
