"""SQL repositories for refresh tokens and authorization codes.

Spending a refresh token and redeeming a code are single conditional UPDATEs whose row count
(or returned row) says who won (RFC 6749 §4.1.2 and §10.5: a code is used once; RFC 6819
§5.2.2.3 for rotation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update

from threelo.core.models import Account, AuthorizationCode, Grant, RefreshToken
from threelo.storage.sql import tables as t
from threelo.storage.sql.boundary import Db, param
from threelo.storage.sql.repos_directory import account_columns
from threelo.storage.sql.repos_grants import ACCOUNT_OF, SITE, SqlGrants, grant_with_account
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

# A refresh token with its family's grant and the grant's account: the refresh's read once
# the family is locked (one statement instead of two).
_g, _gs, _tf = t.grants.c, t.grant_sites.c, t.token_families.c
_TOKEN_WITH_GRANT = (
    select(t.refresh_tokens, t.grants, _gs.cloud_id.label(SITE), *account_columns(ACCOUNT_OF))
    .select_from(
        t.refresh_tokens.outerjoin(t.token_families, _tf.family_id == _rt.family_id)
        .outerjoin(t.grants, _g.grant_id == _tf.grant_id)
        .outerjoin(t.grant_sites, _gs.grant_id == _g.grant_id)
        .outerjoin(t.accounts, t.accounts.c.account_id == _g.account_id)
    )
    .where(_rt.digest == param(_rt.digest))
)

_ac = t.authorization_codes.c
_CODE = select(t.authorization_codes).where(_ac.digest == param(_ac.digest))
_REDEEM = (
    update(t.authorization_codes)
    .where((_ac.digest == param(_ac.digest)) & _ac.redeemed_at.is_(None))
    .values(redeemed_at=param(_ac.redeemed_at))
    .returning(*t.authorization_codes.c)
)
# The code exchange's first statement on PostgreSQL: the code burnt by the update, with its
# grant and the grant's account (one round trip instead of two; SQLite has no DML in WITH).
_CODE_OF = "code_"
_redeemed = _REDEEM.cte("redeemed")
_REDEEM_WITH_GRANT = select(
    *[column.label(_CODE_OF + column.name) for column in _redeemed.c],
    t.grants,
    _gs.cloud_id.label(SITE),
    *account_columns(ACCOUNT_OF),
).select_from(
    _redeemed.outerjoin(t.grants, _g.grant_id == _redeemed.c.grant_id)
    .outerjoin(t.grant_sites, _gs.grant_id == _g.grant_id)
    .outerjoin(t.accounts, t.accounts.c.account_id == _g.account_id)
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

    def get_with_grant(
        self, digest: str
    ) -> tuple[RefreshToken, tuple[Grant, Account | None] | None] | None:
        if has_nul(digest):
            return None
        rows = self._db.rows(_TOKEN_WITH_GRANT, {"p_digest": digest})
        if not rows:
            return None
        row = rows[0]
        token = RefreshToken(row.digest, row.family_id, row.generation, row.issued_at, row.spent_at)
        return token, grant_with_account(rows)

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

    def redeem_with_grant(
        self, digest: str, at: datetime
    ) -> tuple[AuthorizationCode, tuple[Grant, Account | None] | None] | None:
        if self._db.dialect_name != "postgresql":
            code = self.redeem(digest, at)
            if code is None:
                return None
            return code, SqlGrants(self._db).get_with_account(code.grant_id)
        if has_nul(digest):
            return None
        params = {"p_digest": digest, "p_redeemed_at": at}
        rows = self._db.write_returning_all(_REDEEM_WITH_GRANT, params)
        if not rows:
            return None
        return self._code(rows[0], _CODE_OF), grant_with_account(rows)

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
    def _code(row: Row[Any], prefix: str = "") -> AuthorizationCode:
        def get(name: str) -> Any:
            return getattr(row, prefix + name)

        return AuthorizationCode(
            digest=get("digest"),
            client_id=get("client_id"),
            account_id=get("account_id"),
            grant_id=get("grant_id"),
            redirect_uri=get("redirect_uri"),
            scopes=tuple(get("scopes")),
            sites=frozenset(get("sites")),
            code_challenge=get("code_challenge"),
            issued_at=get("issued_at"),
            expires_at=get("expires_at"),
            redeemed_at=get("redeemed_at"),
            family_id=get("family_id"),
        )
