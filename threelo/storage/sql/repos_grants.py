"""SQL repositories for grants (with their sites) and token families (with theirs).

A grant or family is read with its sites in one statement: a LEFT JOIN of the link table, one
row per site (or one row with no site), folded back together here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    case,
    delete,
    func,
    select,
    update,
)

from threelo.core.models import Account, Grant, TokenFamily
from threelo.core.ports import Later
from threelo.storage.sql import tables as t
from threelo.storage.sql.boundary import Db, no_answer, param
from threelo.storage.sql.repos_directory import account_columns, account_in
from threelo.storage.values import has_nul, reject_nul, reject_nul_values

SITE = "site_cloud_id"


def fold_sites(rows: Iterable[Row[Any]], key: str) -> list[tuple[Row[Any], frozenset[str]]]:
    """Owner rows of a LEFT JOIN with their link table, each with its set of sites."""
    owners: dict[str, tuple[Row[Any], set[str]]] = {}
    for row in rows:
        found = owners.get(getattr(row, key))
        if found is None:
            found = owners[getattr(row, key)] = (row, set())
        site = getattr(row, SITE)
        if site is not None:
            found[1].add(site)
    return [(row, frozenset(sites)) for row, sites in owners.values()]


def grant_with_account(rows: Sequence[Row[Any]]) -> tuple[Grant, Account | None] | None:
    """The grant read by a join of the grant's columns, its sites (labelled :data:`SITE`) and
    its account's columns (labelled :data:`ACCOUNT_OF`); None when the join found no grant."""
    if not rows or rows[0].grant_id is None:
        return None
    ((row, sites),) = fold_sites(rows, "grant_id")
    return SqlGrants.grant_of(row, sites), account_in(row, ACCOUNT_OF)


# -- grants -------------------------------------------------------------------------------------

_g = t.grants.c
_gs = t.grant_sites.c
_GRANTS: Select[Any] = select(t.grants, _gs.cloud_id.label(SITE)).select_from(
    t.grants.outerjoin(t.grant_sites, _gs.grant_id == _g.grant_id)
)
_GRANT = _GRANTS.where(_g.grant_id == param(_g.grant_id))
# The grant with its account, for the token endpoint: one statement instead of two.
ACCOUNT_OF = "account_"
_GRANT_WITH_ACCOUNT = (
    select(t.grants, _gs.cloud_id.label(SITE), *account_columns(ACCOUNT_OF))
    .select_from(
        t.grants.outerjoin(t.grant_sites, _gs.grant_id == _g.grant_id).outerjoin(
            t.accounts, t.accounts.c.account_id == _g.account_id
        )
    )
    .where(_g.grant_id == param(_g.grant_id))
)
_GRANT_FOR = _GRANTS.where(
    (_g.client_id == param(_g.client_id)) & (_g.account_id == param(_g.account_id))
)
_GRANTS_OF_ACCOUNT = _GRANTS.where(_g.account_id == param(_g.account_id))
_GRANTS_OF_APP = _GRANTS.where(_g.client_id == param(_g.client_id))
_GRANTS_WITH_SITE = _GRANTS.where(
    _g.grant_id.in_(select(_gs.grant_id).where(_gs.cloud_id == param(_gs.cloud_id)))
)
_UPDATE_GRANT = (
    update(t.grants)
    .where(_g.grant_id == param(_g.grant_id))
    .values(
        scopes=param(_g.scopes),
        app_scopes_version=param(_g.app_scopes_version),
        updated_at=param(_g.updated_at),
        last_used_at=param(_g.last_used_at),
    )
)
_TOUCH_GRANT = (
    update(t.grants)
    .where(_g.grant_id == param(_g.grant_id))
    .values(last_used_at=param(_g.last_used_at))
)
_DELETE_GRANT = delete(t.grants).where(_g.grant_id == param(_g.grant_id))
_DELETE_GRANT_SITES = delete(t.grant_sites).where(_gs.grant_id == param(_gs.grant_id))
_DELETE_GRANT_CODES = delete(t.authorization_codes).where(
    t.authorization_codes.c.grant_id == param(t.authorization_codes.c.grant_id)
)
_ADD_GRANT_SITE = t.grant_sites.insert()


class SqlGrants:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, grant: Grant) -> None:
        reject_nul(grant)
        values = {
            "grant_id": grant.grant_id,
            "client_id": grant.client_id,
            "account_id": grant.account_id,
            "created_at": grant.created_at,
            "scopes": list(grant.scopes),
            "app_scopes_version": grant.app_scopes_version,
            "updated_at": grant.updated_at,
            "last_used_at": grant.last_used_at,
        }
        self._db.insert(t.grants, values)
        self._add_sites(grant)

    def get(self, grant_id: str) -> Grant | None:
        if has_nul(grant_id):
            return None
        return self._one(self._db.rows(_GRANT, {"p_grant_id": grant_id}))

    def get_later(self, grant_id: str) -> Later[Grant | None]:
        if has_nul(grant_id):
            return no_answer
        return self._db.later(_GRANT, {"p_grant_id": grant_id}, self._one)

    def get_with_account(self, grant_id: str) -> tuple[Grant, Account | None] | None:
        if has_nul(grant_id):
            return None
        return grant_with_account(self._db.rows(_GRANT_WITH_ACCOUNT, {"p_grant_id": grant_id}))

    def find(self, client_id: str, account_id: str) -> Grant | None:
        if has_nul(client_id, account_id):
            return None
        params = {"p_client_id": client_id, "p_account_id": account_id}
        return self._one(self._db.rows(_GRANT_FOR, params))

    def find_later(self, client_id: str, account_id: str) -> Later[Grant | None]:
        if has_nul(client_id, account_id):
            return no_answer
        params = {"p_client_id": client_id, "p_account_id": account_id}
        return self._db.later(_GRANT_FOR, params, self._one)

    def update(self, grant: Grant) -> None:
        reject_nul(grant)
        params = {
            "p_grant_id": grant.grant_id,
            "p_scopes": list(grant.scopes),
            "p_app_scopes_version": grant.app_scopes_version,
            "p_updated_at": grant.updated_at,
            "p_last_used_at": grant.last_used_at,
        }
        if self._db.write(_UPDATE_GRANT, params):
            self._db.write(_DELETE_GRANT_SITES, {"p_grant_id": grant.grant_id})
            self._add_sites(grant)

    def delete(self, grant_id: str) -> bool:
        if has_nul(grant_id):
            return False
        params = {"p_grant_id": grant_id}
        self._db.write(_DELETE_GRANT_CODES, params)
        self._db.write(_DELETE_GRANT_SITES, params)
        return self._db.write(_DELETE_GRANT, params) == 1

    def touch(self, grant_id: str, at: datetime) -> None:
        if has_nul(grant_id):
            return
        self._db.defer(_TOUCH_GRANT, {"p_grant_id": grant_id, "p_last_used_at": at})

    def for_account(self, account_id: str) -> Sequence[Grant]:
        if has_nul(account_id):
            return []
        return self._many(self._db.rows(_GRANTS_OF_ACCOUNT, {"p_account_id": account_id}))

    def for_app(self, client_id: str) -> Sequence[Grant]:
        if has_nul(client_id):
            return []
        return self._many(self._db.rows(_GRANTS_OF_APP, {"p_client_id": client_id}))

    def with_site(self, cloud_id: str) -> Sequence[Grant]:
        if has_nul(cloud_id):
            return []
        return self._many(self._db.rows(_GRANTS_WITH_SITE, {"p_cloud_id": cloud_id}))

    def _add_sites(self, grant: Grant) -> None:
        links = [{"grant_id": grant.grant_id, "cloud_id": c} for c in sorted(grant.sites)]
        self._db.write_many(_ADD_GRANT_SITE, links)

    def _one(self, rows: Sequence[Row[Any]]) -> Grant | None:
        found = self._many(rows)
        return found[0] if found else None

    def _many(self, rows: Sequence[Row[Any]]) -> Sequence[Grant]:
        grants = [self.grant_of(row, sites) for row, sites in fold_sites(rows, "grant_id")]
        return sorted(grants, key=lambda g: (g.created_at, g.grant_id))

    @staticmethod
    def grant_of(row: Row[Any], sites: frozenset[str]) -> Grant:
        return Grant(
            grant_id=row.grant_id,
            client_id=row.client_id,
            account_id=row.account_id,
            scopes=tuple(row.scopes),
            sites=sites,
            app_scopes_version=row.app_scopes_version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            last_used_at=row.last_used_at,
        )


# -- token families -----------------------------------------------------------------------------

_f = t.token_families.c
_fs = t.family_sites.c
_FAMILIES: Select[Any] = select(t.token_families, _fs.cloud_id.label(SITE)).select_from(
    t.token_families.outerjoin(t.family_sites, _fs.family_id == _f.family_id)
)
_FAMILY = _FAMILIES.where(_f.family_id == param(_f.family_id))
# PostgreSQL locks only the family's row: FOR UPDATE cannot apply to an outer join's nullable
# side. SQLite renders no FOR UPDATE; its writers hold the database's write lock already.
_FAMILY_FOR_UPDATE = _FAMILY.with_for_update(of=t.token_families)
_FAMILY_OF_TOKEN = _FAMILIES.where(
    _f.family_id.in_(
        select(t.refresh_tokens.c.family_id).where(
            t.refresh_tokens.c.digest == param(t.refresh_tokens.c.digest)
        )
    )
)
_FAMILY_OF_TOKEN_FOR_UPDATE = _FAMILY_OF_TOKEN.with_for_update(of=t.token_families)
_FAMILIES_OF_GRANT = _FAMILIES.where(_f.grant_id == param(_f.grant_id))
_UPDATE_FAMILY = (
    update(t.token_families)
    .where(_f.family_id == param(_f.family_id))
    .values(
        offline=param(_f.offline),
        last_used_at=param(_f.last_used_at),
        generation=param(_f.generation),
        rotated_at=param(_f.rotated_at),
        # Revocation is final: an update never brings a family back (RFC 6819 §5.2.2.3).
        revoked_at=func.coalesce(_f.revoked_at, param(_f.revoked_at)),
        revoked_reason=case(
            (_f.revoked_at.is_(None), param(_f.revoked_reason)), else_=_f.revoked_reason
        ),
    )
)


def _revoke_by(column: ColumnElement[Any]) -> Any:
    return (
        update(t.token_families)
        .where((column == param(_f.family_id, "p_key")) & _f.revoked_at.is_(None))
        .values(revoked_at=param(_f.revoked_at), revoked_reason=param(_f.revoked_reason))
    )


_REVOKE = _revoke_by(_f.family_id)
_REVOKE_FOR_GRANT = _revoke_by(_f.grant_id)
_REVOKE_FOR_ACCOUNT = _revoke_by(_f.account_id)
_ADD_FAMILY_SITE = t.family_sites.insert()


class SqlFamilies:
    """Token families. A family's sites are fixed when it is created: ``update`` changes its
    use, generation and revocation, never its sites (no caller ever changes them)."""

    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, family: TokenFamily) -> None:
        reject_nul(family)
        values = {
            "family_id": family.family_id,
            "grant_id": family.grant_id,
            "client_id": family.client_id,
            "account_id": family.account_id,
            "created_at": family.created_at,
            "revoked_at": family.revoked_at,
            "revoked_reason": family.revoked_reason,
            "offline": family.offline,
            "last_used_at": family.last_used_at,
            "generation": family.generation,
            "rotated_at": family.rotated_at,
        }
        self._db.defer_insert(t.token_families, values)
        links = [{"family_id": family.family_id, "cloud_id": c} for c in sorted(family.sites)]
        self._db.defer_many(_ADD_FAMILY_SITE, links)

    def get(self, family_id: str, *, for_update: bool = False) -> TokenFamily | None:
        """With ``for_update`` the row stays locked until the unit of work ends (PostgreSQL
        ``SELECT ... FOR UPDATE``; SQLite writers already hold the database's write lock)."""
        if has_nul(family_id):
            return None
        query = _FAMILY_FOR_UPDATE if for_update else _FAMILY
        return self._first(self._db.rows(query, {"p_family_id": family_id}))

    def get_later(self, family_id: str) -> Later[TokenFamily | None]:
        if has_nul(family_id):
            return no_answer
        return self._db.later(_FAMILY, {"p_family_id": family_id}, self._first)

    def of_token(self, digest: str, *, for_update: bool = False) -> TokenFamily | None:
        if has_nul(digest):
            return None
        query = _FAMILY_OF_TOKEN_FOR_UPDATE if for_update else _FAMILY_OF_TOKEN
        return self._first(self._db.rows(query, {"p_digest": digest}))

    def of_token_later(self, digest: str, *, for_update: bool = False) -> Later[TokenFamily | None]:
        if has_nul(digest):
            return no_answer
        query = _FAMILY_OF_TOKEN_FOR_UPDATE if for_update else _FAMILY_OF_TOKEN
        return self._db.later(query, {"p_digest": digest}, self._first)

    def update(self, family: TokenFamily) -> None:
        """Update the family's row; its sites stay those it was created with."""
        reject_nul(family)
        params = {
            "p_family_id": family.family_id,
            "p_offline": family.offline,
            "p_last_used_at": family.last_used_at,
            "p_generation": family.generation,
            "p_rotated_at": family.rotated_at,
            "p_revoked_at": family.revoked_at,
            "p_revoked_reason": family.revoked_reason,
        }
        self._db.defer(_UPDATE_FAMILY, params)

    def revoke(self, family_id: str, at: datetime, reason: str) -> None:
        if not has_nul(family_id):
            self._revoke(_REVOKE, family_id, at, reason)

    def revoke_for_grant(self, grant_id: str, at: datetime, reason: str) -> int:
        if has_nul(grant_id):
            return 0
        return self._revoke(_REVOKE_FOR_GRANT, grant_id, at, reason)

    def revoke_for_account(self, account_id: str, at: datetime, reason: str) -> int:
        if has_nul(account_id):
            return 0
        return self._revoke(_REVOKE_FOR_ACCOUNT, account_id, at, reason)

    def _revoke(self, statement: Any, key: str, at: datetime, reason: str) -> int:
        reject_nul_values(reason=reason)
        params = {"p_key": key, "p_revoked_at": at, "p_revoked_reason": reason}
        return self._db.write(statement, params)

    def for_grant(self, grant_id: str) -> Sequence[TokenFamily]:
        if has_nul(grant_id):
            return []
        rows = self._db.rows(_FAMILIES_OF_GRANT, {"p_grant_id": grant_id})
        found = [self._family(row, sites) for row, sites in fold_sites(rows, "family_id")]
        return sorted(found, key=lambda f: (f.created_at, f.family_id))

    def _first(self, rows: Iterable[Row[Any]]) -> TokenFamily | None:
        """The family in ``rows`` (one row per site), or None."""
        found = fold_sites(rows, "family_id")
        return self._family(*found[0]) if found else None

    @staticmethod
    def _family(row: Row[Any], sites: frozenset[str]) -> TokenFamily:
        return TokenFamily(
            family_id=row.family_id,
            grant_id=row.grant_id,
            client_id=row.client_id,
            account_id=row.account_id,
            sites=sites,
            offline=row.offline,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            generation=row.generation,
            rotated_at=row.rotated_at,
            revoked_at=row.revoked_at,
            revoked_reason=row.revoked_reason,
        )
