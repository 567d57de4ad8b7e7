"""Memory repositories for pending authorizations, sessions, signing keys and audit events."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from threelo.core.models import Account, AuditEvent, PendingAuthorization, Session, SigningKey
from threelo.core.ports import Conflict, Later
from threelo.storage.memory_state import Journal, Tables, answered
from threelo.storage.values import checked, utc


class MemoryPending:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, pending: PendingAuthorization) -> None:
        pending = checked(pending)
        if pending.request_id in self._t.pending:
            raise Conflict("a pending authorization with this id exists")
        self._j.writing(self._t.pending)[pending.request_id] = pending

    def get(self, request_id: str) -> PendingAuthorization | None:
        return self._t.pending.get(request_id)

    def delete(self, request_id: str) -> bool:
        if request_id not in self._t.pending:
            return False
        del self._j.writing(self._t.pending)[request_id]
        return True

    def purge_expired(self, before: datetime) -> int:
        doomed = [k for k, v in self._t.pending.items() if v.expires_at < before]
        if doomed:
            table = self._j.writing(self._t.pending)
            for key in doomed:
                del table[key]
        return len(doomed)


class MemorySessions:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, session: Session) -> None:
        session = checked(session)
        if session.digest in self._t.sessions:
            raise Conflict("a session with this digest exists")
        self._j.writing(self._t.sessions)[session.digest] = session

    def get(self, digest: str) -> Session | None:
        return self._t.sessions.get(digest)

    def get_with_account(self, digest: str) -> tuple[Session, Account | None] | None:
        session = self._t.sessions.get(digest)
        if session is None:
            return None
        account_id = session.account_id
        return session, None if account_id is None else self._t.accounts.get(account_id)

    def get_with_account_later(self, digest: str) -> Later[tuple[Session, Account | None] | None]:
        return answered(self.get_with_account(digest))

    def delete(self, digest: str) -> None:
        if digest in self._t.sessions:
            del self._j.writing(self._t.sessions)[digest]

    def delete_for_account(self, account_id: str) -> int:
        doomed = [d for d, s in self._t.sessions.items() if s.account_id == account_id]
        if doomed:
            table = self._j.writing(self._t.sessions)
            for digest in doomed:
                del table[digest]
        return len(doomed)

    def purge_expired(self, before: datetime) -> int:
        doomed = [k for k, v in self._t.sessions.items() if v.expires_at < before]
        if doomed:
            table = self._j.writing(self._t.sessions)
            for key in doomed:
                del table[key]
        return len(doomed)


class MemorySigningKeys:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, key: SigningKey) -> None:
        key = checked(key)
        if key.kid in self._t.keys:
            raise Conflict("a signing key with this kid exists")
        self._j.writing(self._t.keys)[key.kid] = dataclasses.replace(
            key, public_jwk=dict(key.public_jwk)
        )

    def list(self) -> Sequence[SigningKey]:
        ordered = sorted(self._t.keys.values(), key=lambda k: (k.created_at, k.kid))
        return [dataclasses.replace(k, public_jwk=dict(k.public_jwk)) for k in ordered]

    def retire(self, kid: str, at: datetime) -> None:
        at = utc(at)
        key = self._t.keys.get(kid)
        if key is not None and key.retired_at is None:
            self._j.writing(self._t.keys)[kid] = dataclasses.replace(key, retired_at=at)


class MemoryAudit:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, event: AuditEvent) -> None:
        event = checked(event)
        self._t.last_event_id += 1  # like a database sequence, not rolled back
        event_id = self._t.last_event_id
        self._j.writing(self._t.audit)[event_id] = dataclasses.replace(
            event, detail=dict(event.detail), event_id=event_id
        )

    def recent(
        self, *, client_id: str | None = None, account_id: str | None = None, limit: int = 50
    ) -> Sequence[AuditEvent]:
        found: list[AuditEvent] = []
        if limit <= 0:
            return found
        for event_id in sorted(self._t.audit, reverse=True):
            event = self._t.audit[event_id]
            if client_id is not None and event.client_id != client_id:
                continue
            if account_id is not None and event.account_id != account_id:
                continue
            found.append(dataclasses.replace(event, detail=dict(event.detail)))
            if len(found) >= limit:
                break
        return found
