"""SQL repositories for refresh tokens and authorization codes.

Spending a refresh token and redeeming a code are single conditional UPDATEs whose row count
(or returned row) says who won (RFC 6749 §4.1.2 and §10.5: a code is used once; RFC 6819
§5.2.2.3 for rotation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update

from threelo.core.models import AuthorizationCode, RefreshToken
from threelo.storage.sql import tables as t
from threelo.storage.sql.boundary import Db, param
from threelo.storage.values import has_nul, reject_nul, reject_nul_values

_rt = t.refresh_tokens.c
_TOKEN = select(t.refresh_tokens).where(_rt.digest == param(_rt.digest))
_SPEND = (
    update(t.refresh_tokens)
    .where((_rt.digest == param(_rt.digest)) & _rt.spent_at.is_(None))
    .values(spent_at=param(_rt.spent_at))
)
_SPEND_GENERATION = (
    update(t.refresh_tokens)
    .where(
        (_rt.family_id == param(_rt.family_id))
        & (_rt.generation == param(_rt.generation))
        & _rt.spent_at.is_(None)
    )
    .values(spent_at=param(_rt.spent_at))
)

_ac = t.authorization_codes.c
_CODE = select(t.authorization_codes).where(_ac.digest == param(_ac.digest))
_REDEEM = (
    update(t.authorization_codes)
    .where((_ac.digest == param(_ac.digest)) & _ac.redeemed_at.is_(None))
    .values(redeemed_at=param(_ac.redeemed_at))
    .returning(*t.authorization_codes.c)
)
_SET_FAMILY = (
    update(t.authorization_codes)
    .where(_ac.digest == param(_ac.digest))
    .values(family_id=param(_ac.family_id))
)
_DELETE_CODES_FOR_GRANT = delete(t.authorization_codes).where(_ac.grant_id == param(_ac.grant_id))
_PURGE_CODES = delete(t.authorization_codes).where(_ac.expires_at < param(_ac.expires_at))


class SqlRefreshTokens:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, token: RefreshToken) -> None:
        reject_nul(token)
        values = {
            "digest": token.digest,
            "family_id": token.family_id,
            "generation": token.generation,
            "issued_at": token.issued_at,
            "spent_at": token.spent_at,
        }
        self._db.defer_insert(t.refresh_tokens, values)

    def get(self, digest: str) -> RefreshToken | None:
        if has_nul(digest):
            return None
        row = self._db.first(_TOKEN, {"p_digest": digest})
        if row is None:
            return None
        return RefreshToken(row.digest, row.family_id, row.generation, row.issued_at, row.spent_at)

    def spend(self, digest: str, at: datetime) -> bool:
        if has_nul(digest):
            return False
        return self._db.write(_SPEND, {"p_digest": digest, "p_spent_at": at}) == 1

    def spend_generation(self, family_id: str, generation: int, at: datetime) -> None:
        """Spend the family's unspent tokens of exactly ``generation``."""
        if has_nul(family_id):
            return
        params = {"p_family_id": family_id, "p_generation": generation, "p_spent_at": at}
        self._db.defer(_SPEND_GENERATION, params)


class SqlCodes:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, code: AuthorizationCode) -> None:
        reject_nul(code)
        values = {
            "digest": code.digest,
            "client_id": code.client_id,
            "account_id": code.account_id,
            "grant_id": code.grant_id,
            "redirect_uri": code.redirect_uri,
            "scopes": list(code.scopes),
            "sites": sorted(code.sites),
            "code_challenge": code.code_challenge,
            "issued_at": code.issued_at,
            "expires_at": code.expires_at,
            "redeemed_at": code.redeemed_at,
            "family_id": code.family_id,
        }
        self._db.defer_insert(t.authorization_codes, values)

    def get(self, digest: str) -> AuthorizationCode | None:
        if has_nul(digest):
            return None
        row = self._db.first(_CODE, {"p_digest": digest})
        return None if row is None else self._code(row)

    def redeem(self, digest: str, at: datetime) -> AuthorizationCode | None:
        if has_nul(digest):
            return None
        row = self._db.write_returning(_REDEEM, {"p_digest": digest, "p_redeemed_at": at})
        return None if row is None else self._code(row)

    def set_family(self, digest: str, family_id: str) -> None:
        reject_nul_values(family_id=family_id)
        if has_nul(digest):
            return
        self._db.defer(_SET_FAMILY, {"p_digest": digest, "p_family_id": family_id})

    def delete_for_grant(self, grant_id: str) -> int:
        if has_nul(grant_id):
            return 0
        return self._db.write(_DELETE_CODES_FOR_GRANT, {"p_grant_id": grant_id})

    def purge_expired(self, before: datetime) -> int:
        return self._db.write(_PURGE_CODES, {"p_expires_at": before})

    @staticmethod
    def _code(row: Row[Any]) -> AuthorizationCode:
        return AuthorizationCode(
            digest=row.digest,
            client_id=row.client_id,
            account_id=row.account_id,
            grant_id=row.grant_id,
            redirect_uri=row.redirect_uri,
            scopes=tuple(row.scopes),
            sites=frozenset(row.sites),
            code_challenge=row.code_challenge,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            redeemed_at=row.redeemed_at,
            family_id=row.family_id,
        )
