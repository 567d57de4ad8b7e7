"""SQL repositories for pending authorizations, sessions, signing keys and audit events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, select, update

from threelo.core.models import Account, AuditEvent, PendingAuthorization, Session, SigningKey
from threelo.core.ports import Later
from threelo.storage.sql import tables as t
from threelo.storage.sql.boundary import Db, no_answer, param
from threelo.storage.sql.repos_directory import account_columns, account_in
from threelo.storage.values import has_nul, reject_nul

_p = t.pending_authorizations.c
_PENDING = select(t.pending_authorizations).where(_p.request_id == param(_p.request_id))
_DELETE_PENDING = delete(t.pending_authorizations).where(_p.request_id == param(_p.request_id))
_PURGE_PENDING = delete(t.pending_authorizations).where(_p.expires_at < param(_p.expires_at))

_s = t.sessions.c
_SESSION = select(t.sessions).where(_s.digest == param(_s.digest))
# A page's session with its account: one statement instead of two.
_ACCOUNT_OF = "account_"
_SESSION_WITH_ACCOUNT = (
    select(t.sessions, *account_columns(_ACCOUNT_OF))
    .select_from(t.sessions.outerjoin(t.accounts, t.accounts.c.account_id == _s.account_id))
    .where(_s.digest == param(_s.digest))
)
_DELETE_SESSION = delete(t.sessions).where(_s.digest == param(_s.digest))
_DELETE_SESSIONS_OF = delete(t.sessions).where(_s.account_id == param(_s.account_id))
_PURGE_SESSIONS = delete(t.sessions).where(_s.expires_at < param(_s.expires_at))

_k = t.signing_keys.c
_ALL_KEYS = select(t.signing_keys)
_RETIRE_KEY = (
    update(t.signing_keys)
    .where((_k.kid == param(_k.kid)) & _k.retired_at.is_(None))
    .values(retired_at=param(_k.retired_at))
)

_e = t.audit_events.c
_ADD_EVENT = t.audit_events.insert()


def _recent(by_client: bool, by_account: bool) -> Select[Any]:
    query = select(t.audit_events).order_by(_e.id.desc()).limit(bindparam("p_limit"))
    if by_client:
        query = query.where(_e.client_id == param(_e.client_id))
    if by_account:
        query = query.where(_e.account_id == param(_e.account_id))
    return query


_RECENT = {(c, a): _recent(c, a) for c in (False, True) for a in (False, True)}


class SqlPending:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, pending: PendingAuthorization) -> None:
        reject_nul(pending)
        values = {
            "request_id": pending.request_id,
            "session_digest": pending.session_digest,
            "client_id": pending.client_id,
            "redirect_uri": pending.redirect_uri,
            "scopes": list(pending.scopes),
            "state": pending.state,
            "code_challenge": pending.code_challenge,
            "prompt": pending.prompt,
            "created_at": pending.created_at,
            "expires_at": pending.expires_at,
        }
        self._db.insert(t.pending_authorizations, values)

    def get(self, request_id: str) -> PendingAuthorization | None:
        if has_nul(request_id):
            return None
        row = self._db.first(_PENDING, {"p_request_id": request_id})
        if row is None:
            return None
        return PendingAuthorization(
            request_id=row.request_id,
            session_digest=row.session_digest,
            client_id=row.client_id,
            redirect_uri=row.redirect_uri,
            scopes=tuple(row.scopes),
            state=row.state,
            code_challenge=row.code_challenge,
            prompt=row.prompt,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    def delete(self, request_id: str) -> bool:
        if has_nul(request_id):
            return False
        return self._db.write(_DELETE_PENDING, {"p_request_id": request_id}) == 1

    def purge_expired(self, before: datetime) -> int:
        return self._db.write(_PURGE_PENDING, {"p_expires_at": before})


class SqlSessions:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, session: Session) -> None:
        reject_nul(session)
        values = {
            "digest": session.digest,
            "csrf_secret": session.csrf_secret,
            "created_at": session.created_at,
            "expires_at": session.expires_at,
            "account_id": session.account_id,
            "authenticated_at": session.authenticated_at,
        }
        self._db.insert(t.sessions, values)

    def get(self, digest: str) -> Session | None:
        if has_nul(digest):
            return None
        row = self._db.first(_SESSION, {"p_digest": digest})
        return None if row is None else self._session(row)

    def get_with_account(self, digest: str) -> tuple[Session, Account | None] | None:
        if has_nul(digest):
            return None
        row = self._db.first(_SESSION_WITH_ACCOUNT, {"p_digest": digest})
        return None if row is None else self._with_account(row)

    def get_with_account_later(self, digest: str) -> Later[tuple[Session, Account | None] | None]:
        if has_nul(digest):
            return no_answer
        params = {"p_digest": digest}
        return self._db.later_first(_SESSION_WITH_ACCOUNT, params, self._with_account)

    def _with_account(self, row: Row[Any]) -> tuple[Session, Account | None]:
        return self._session(row), account_in(row, _ACCOUNT_OF)

    @staticmethod
    def _session(row: Row[Any]) -> Session:
        return Session(
            digest=row.digest,
            csrf_secret=row.csrf_secret,
            created_at=row.created_at,
            expires_at=row.expires_at,
            account_id=row.account_id,
            authenticated_at=row.authenticated_at,
        )

    def delete(self, digest: str) -> None:
        if not has_nul(digest):
            self._db.write(_DELETE_SESSION, {"p_digest": digest})

    def delete_for_account(self, account_id: str) -> int:
        if has_nul(account_id):
            return 0
        return self._db.write(_DELETE_SESSIONS_OF, {"p_account_id": account_id})

    def purge_expired(self, before: datetime) -> int:
        return self._db.write(_PURGE_SESSIONS, {"p_expires_at": before})


class SqlSigningKeys:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, key: SigningKey) -> None:
        reject_nul(key)
        values = {
            "kid": key.kid,
            "algorithm": key.algorithm,
            "private_pem": key.private_pem,
            "public_jwk": dict(key.public_jwk),
            "created_at": key.created_at,
            "retired_at": key.retired_at,
        }
        self._db.insert(t.signing_keys, values)

    def list(self) -> Sequence[SigningKey]:
        rows = self._db.rows(_ALL_KEYS)
        found = [
            SigningKey(r.kid, r.algorithm, r.private_pem, r.public_jwk, r.created_at, r.retired_at)
            for r in rows
        ]
        return sorted(found, key=lambda k: (k.created_at, k.kid))

    def retire(self, kid: str, at: datetime) -> None:
        if has_nul(kid):
            return
        self._db.write(_RETIRE_KEY, {"p_kid": kid, "p_retired_at": at})


class SqlAudit:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, event: AuditEvent) -> None:
        reject_nul(event)
        values = {
            "kind": event.kind,
            "at": event.at,
            "account_id": event.account_id,
            "client_id": event.client_id,
            "cloud_id": event.cloud_id,
            "detail": dict(event.detail),
        }
        self._db.defer(_ADD_EVENT, values)

    def recent(
        self, *, client_id: str | None = None, account_id: str | None = None, limit: int = 50
    ) -> Sequence[AuditEvent]:
        if has_nul(client_id, account_id):
            return []
        query = _RECENT[client_id is not None, account_id is not None]
        params = {"p_client_id": client_id, "p_account_id": account_id, "p_limit": max(limit, 0)}
        return [self._event(row) for row in self._db.rows(query, params)]

    @staticmethod
    def _event(row: Row[Any]) -> AuditEvent:
        return AuditEvent(
            kind=row.kind,
            at=row.at,
            account_id=row.account_id,
            client_id=row.client_id,
            cloud_id=row.cloud_id,
            detail=dict(row.detail),
            event_id=row.id,
        )
