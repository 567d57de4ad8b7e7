"""SQL repositories for grants (with their sites) and token families (with theirs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, case, delete, func, literal, select, update

from threelo.core.models import Grant, TokenFamily
from threelo.storage.sql import tables as t
from threelo.storage.sql.boundary import Db
from threelo.storage.sql.types import UtcDateTime
from threelo.storage.values import has_nul, reject_nul, reject_nul_values


def _sites_by_owner(db: Db, link: Table, key: str, owners: Sequence[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {owner: set() for owner in owners}
    if owners:
        rows = db.rows(select(link).where(link.c[key].in_(owners)))
        for row in rows:
            found[getattr(row, key)].add(row.cloud_id)
    return found


def _replace_sites(db: Db, link: Table, key: str, owner: str, sites: frozenset[str]) -> None:
    db.write(delete(link).where(link.c[key] == owner))
    if sites:
        db.write(link.insert().values([{key: owner, "cloud_id": c} for c in sorted(sites)]))


class SqlGrants:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, grant: Grant) -> None:
        reject_nul(grant)
        values = {
            "grant_id": grant.grant_id,
            "client_id": grant.client_id,
            "account_id": grant.account_id,
            "created_at": grant.created_at,
            **self._mutable(grant),
        }
        self._db.insert(t.grants, values)
        _replace_sites(self._db, t.grant_sites, "grant_id", grant.grant_id, grant.sites)

    def get(self, grant_id: str) -> Grant | None:
        if has_nul(grant_id):
            return None
        return self._one(t.grants.c.grant_id == grant_id)

    def find(self, client_id: str, account_id: str) -> Grant | None:
        if has_nul(client_id, account_id):
            return None
        c = t.grants.c
        return self._one((c.client_id == client_id) & (c.account_id == account_id))

    def update(self, grant: Grant) -> None:
        reject_nul(grant)
        where = t.grants.c.grant_id == grant.grant_id
        if self._db.write(update(t.grants).where(where).values(**self._mutable(grant))):
            _replace_sites(self._db, t.grant_sites, "grant_id", grant.grant_id, grant.sites)

    def delete(self, grant_id: str) -> bool:
        if has_nul(grant_id):
            return False
        self._db.write(
            delete(t.authorization_codes).where(t.authorization_codes.c.grant_id == grant_id)
        )
        self._db.write(delete(t.grant_sites).where(t.grant_sites.c.grant_id == grant_id))
        return self._db.write(delete(t.grants).where(t.grants.c.grant_id == grant_id)) == 1

    def touch(self, grant_id: str, at: datetime) -> None:
        if has_nul(grant_id):
            return
        where = t.grants.c.grant_id == grant_id
        self._db.write(update(t.grants).where(where).values(last_used_at=at))

    def for_account(self, account_id: str) -> Sequence[Grant]:
        return [] if has_nul(account_id) else self._many(t.grants.c.account_id == account_id)

    def for_app(self, client_id: str) -> Sequence[Grant]:
        return [] if has_nul(client_id) else self._many(t.grants.c.client_id == client_id)

    def with_site(self, cloud_id: str) -> Sequence[Grant]:
        if has_nul(cloud_id):
            return []
        holders = select(t.grant_sites.c.grant_id).where(t.grant_sites.c.cloud_id == cloud_id)
        return self._many(t.grants.c.grant_id.in_(holders))

    @staticmethod
    def _mutable(grant: Grant) -> dict[str, Any]:
        return {
            "scopes": list(grant.scopes),
            "app_scopes_version": grant.app_scopes_version,
            "updated_at": grant.updated_at,
            "last_used_at": grant.last_used_at,
        }

    def _one(self, where: ColumnElement[bool]) -> Grant | None:
        found = self._many(where)
        return found[0] if found else None

    def _many(self, where: ColumnElement[bool]) -> Sequence[Grant]:
        rows = self._db.rows(select(t.grants).where(where))
        sites = _sites_by_owner(self._db, t.grant_sites, "grant_id", [r.grant_id for r in rows])
        grants = [self._grant(row, frozenset(sites[row.grant_id])) for row in rows]
        return sorted(grants, key=lambda g: (g.created_at, g.grant_id))

    @staticmethod
    def _grant(row: Row[Any], sites: frozenset[str]) -> Grant:
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


class SqlFamilies:
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
            **self._mutable(family),
        }
        self._db.insert(t.token_families, values)
        _replace_sites(self._db, t.family_sites, "family_id", family.family_id, family.sites)

    def get(self, family_id: str, *, for_update: bool = False) -> TokenFamily | None:
        """With ``for_update`` the row stays locked until the unit of work ends (PostgreSQL
        ``SELECT ... FOR UPDATE``; SQLite writers already hold the database's write lock)."""
        if has_nul(family_id):
            return None
        query = select(t.token_families).where(t.token_families.c.family_id == family_id)
        row = self._db.first(query.with_for_update() if for_update else query)
        if row is None:
            return None
        sites = _sites_by_owner(self._db, t.family_sites, "family_id", [family_id])[family_id]
        return self._family(row, frozenset(sites))

    def update(self, family: TokenFamily) -> None:
        reject_nul(family)
        c = t.token_families.c
        values = self._mutable(family)
        # Revocation is final: an update never brings a family back (RFC 6819 §5.2.2.3).
        values["revoked_at"] = func.coalesce(
            c.revoked_at, literal(family.revoked_at, UtcDateTime())
        )
        values["revoked_reason"] = case(
            (c.revoked_at.is_(None), family.revoked_reason), else_=c.revoked_reason
        )
        where = c.family_id == family.family_id
        if self._db.write(update(t.token_families).where(where).values(**values)):
            _replace_sites(self._db, t.family_sites, "family_id", family.family_id, family.sites)

    def revoke(self, family_id: str, at: datetime, reason: str) -> None:
        if not has_nul(family_id):
            self._revoke_where(t.token_families.c.family_id == family_id, at, reason)

    def revoke_for_grant(self, grant_id: str, at: datetime, reason: str) -> int:
        if has_nul(grant_id):
            return 0
        return self._revoke_where(t.token_families.c.grant_id == grant_id, at, reason)

    def revoke_for_account(self, account_id: str, at: datetime, reason: str) -> int:
        if has_nul(account_id):
            return 0
        return self._revoke_where(t.token_families.c.account_id == account_id, at, reason)

    def _revoke_where(self, where: ColumnElement[bool], at: datetime, reason: str) -> int:
        reject_nul_values(reason=reason)
        live = where & t.token_families.c.revoked_at.is_(None)
        change = update(t.token_families).where(live)
        return self._db.write(change.values(revoked_at=at, revoked_reason=reason))

    def for_grant(self, grant_id: str) -> Sequence[TokenFamily]:
        if has_nul(grant_id):
            return []
        rows = self._db.rows(
            select(t.token_families).where(t.token_families.c.grant_id == grant_id)
        )
        ids = [row.family_id for row in rows]
        sites = _sites_by_owner(self._db, t.family_sites, "family_id", ids)
        found = [self._family(row, frozenset(sites[row.family_id])) for row in rows]
        return sorted(found, key=lambda f: (f.created_at, f.family_id))

    @staticmethod
    def _mutable(family: TokenFamily) -> dict[str, Any]:
        return {
            "offline": family.offline,
            "last_used_at": family.last_used_at,
            "generation": family.generation,
            "rotated_at": family.rotated_at,
        }

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
