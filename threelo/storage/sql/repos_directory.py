"""SQL repositories for the directory: accounts, sites, memberships, admins, apps, blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update

from threelo.core.models import Account, AccountStatus, App, Distribution, Membership, Site
from threelo.storage.sql import tables as t
from threelo.storage.sql.boundary import Db
from threelo.storage.values import has_nul, reject_nul, reject_nul_values

# Lists are sorted in Python, by the same keys as the memory store, so that the order never
# depends on a database collation.

_ACCOUNT_FIELDS = (
    "account_id", "email", "name", "password_hash", "nickname", "picture", "zoneinfo",
    "locale", "job_title", "organization", "department", "location", "created_at",
)  # fmt: skip


def _account(row: Row[Any]) -> Account:
    values = {name: getattr(row, name) for name in _ACCOUNT_FIELDS}
    return Account(status=AccountStatus(row.status), **values)


def _app(row: Row[Any]) -> App:
    return App(
        client_id=row.client_id,
        name=row.name,
        owner_id=row.owner_id,
        callback_urls=tuple(row.callback_urls),
        scopes=tuple(row.scopes),
        secret_digest=row.secret_digest,
        public=row.public,
        resource_level=row.resource_level,
        distribution=Distribution(row.distribution),
        scopes_version=row.scopes_version,
        created_at=row.created_at,
    )


def _app_values(app: App) -> dict[str, Any]:
    return {
        "name": app.name,
        "owner_id": app.owner_id,
        "callback_urls": list(app.callback_urls),
        "scopes": list(app.scopes),
        "secret_digest": app.secret_digest,
        "public": app.public,
        "resource_level": app.resource_level,
        "distribution": str(app.distribution),
        "scopes_version": app.scopes_version,
    }


class SqlAccounts:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, account: Account) -> None:
        reject_nul(account)
        values = {name: getattr(account, name) for name in _ACCOUNT_FIELDS}
        values.update(status=str(account.status), email_lower=account.email.lower())
        self._db.insert(t.accounts, values)

    def get(self, account_id: str) -> Account | None:
        if has_nul(account_id):
            return None
        row = self._db.first(select(t.accounts).where(t.accounts.c.account_id == account_id))
        return None if row is None else _account(row)

    def get_by_email(self, email: str) -> Account | None:
        if has_nul(email):
            return None
        query = select(t.accounts).where(t.accounts.c.email_lower == email.lower())
        row = self._db.first(query)
        return None if row is None else _account(row)

    def set_status(self, account_id: str, status: AccountStatus) -> bool:
        return self._set(account_id, status=str(AccountStatus(status)))

    def set_password(self, account_id: str, password_hash: str) -> bool:
        reject_nul_values(password_hash=password_hash)
        return self._set(account_id, password_hash=password_hash)

    def _set(self, account_id: str, **values: str) -> bool:
        if has_nul(account_id):
            return False
        where = t.accounts.c.account_id == account_id
        return self._db.write(update(t.accounts).where(where).values(**values)) == 1

    def list(self) -> Sequence[Account]:
        found = [_account(row) for row in self._db.rows(select(t.accounts))]
        return sorted(found, key=lambda a: (a.email.lower(), a.account_id))


class SqlSites:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, site: Site) -> None:
        reject_nul(site)
        values = {
            "cloud_id": site.cloud_id,
            "name": site.name,
            "url": site.url,
            "avatar_url": site.avatar_url,
            "products": list(site.products),
        }
        self._db.insert(t.sites, values)

    def get(self, cloud_id: str) -> Site | None:
        if has_nul(cloud_id):
            return None
        row = self._db.first(select(t.sites).where(t.sites.c.cloud_id == cloud_id))
        return None if row is None else self._site(row)

    def list(self) -> Sequence[Site]:
        found = [self._site(row) for row in self._db.rows(select(t.sites))]
        return sorted(found, key=lambda s: (s.name, s.cloud_id))

    @staticmethod
    def _site(row: Row[Any]) -> Site:
        return Site(row.cloud_id, row.name, row.url, row.avatar_url, tuple(row.products))


class SqlMemberships:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, membership: Membership) -> None:
        reject_nul(membership)
        values = {
            "cloud_id": membership.cloud_id,
            "account_id": membership.account_id,
            "product": membership.product,
        }
        self._db.insert_ignore(t.memberships, values)

    def remove(self, cloud_id: str, account_id: str) -> int:
        if has_nul(cloud_id, account_id):
            return 0
        c = t.memberships.c
        where = (c.cloud_id == cloud_id) & (c.account_id == account_id)
        return self._db.write(delete(t.memberships).where(where))

    def for_account(self, account_id: str) -> Sequence[Membership]:
        if has_nul(account_id):
            return []
        c = t.memberships.c
        query = select(t.memberships).where(c.account_id == account_id)
        found = [Membership(r.cloud_id, r.account_id, r.product) for r in self._db.rows(query)]
        return sorted(found, key=lambda m: (m.cloud_id, m.product))

    def for_site(self, cloud_id: str) -> Sequence[Membership]:
        if has_nul(cloud_id):
            return []
        c = t.memberships.c
        query = select(t.memberships).where(c.cloud_id == cloud_id)
        found = [Membership(r.cloud_id, r.account_id, r.product) for r in self._db.rows(query)]
        return sorted(found, key=lambda m: (m.account_id, m.product))


class SqlSiteAdmins:
    def __init__(self, db: Db) -> None:
        self._db = db

    def set_admin(self, cloud_id: str, account_id: str, admin: bool) -> None:
        reject_nul_values(cloud_id=cloud_id, account_id=account_id)
        values = {"cloud_id": cloud_id, "account_id": account_id}
        if admin:
            self._db.insert_ignore(t.site_admins, values)
            return
        c = t.site_admins.c
        where = (c.cloud_id == cloud_id) & (c.account_id == account_id)
        self._db.write(delete(t.site_admins).where(where))

    def is_admin(self, cloud_id: str, account_id: str) -> bool:
        if has_nul(cloud_id, account_id):
            return False
        c = t.site_admins.c
        where = (c.cloud_id == cloud_id) & (c.account_id == account_id)
        return self._db.first(select(c.cloud_id).where(where)) is not None

    def sites_of(self, account_id: str) -> Sequence[str]:
        if has_nul(account_id):
            return []
        c = t.site_admins.c
        query = select(c.cloud_id).where(c.account_id == account_id)
        return sorted(row.cloud_id for row in self._db.rows(query))


class SqlApps:
    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, app: App) -> None:
        reject_nul(app)
        values = _app_values(app) | {"client_id": app.client_id, "created_at": app.created_at}
        self._db.insert(t.apps, values)

    def get(self, client_id: str) -> App | None:
        if has_nul(client_id):
            return None
        row = self._db.first(select(t.apps).where(t.apps.c.client_id == client_id))
        return None if row is None else _app(row)

    def update(self, app: App) -> None:
        reject_nul(app)
        where = t.apps.c.client_id == app.client_id
        self._db.write(update(t.apps).where(where).values(**_app_values(app)))

    def delete(self, client_id: str) -> bool:
        if has_nul(client_id):
            return False
        return self._db.write(delete(t.apps).where(t.apps.c.client_id == client_id)) == 1

    def list_by_owner(self, owner_id: str) -> Sequence[App]:
        if has_nul(owner_id):
            return []
        c = t.apps.c
        found = [_app(row) for row in self._db.rows(select(t.apps).where(c.owner_id == owner_id))]
        return sorted(found, key=lambda a: (a.name, a.client_id))

    def list_public(self) -> Sequence[App]:
        found = [_app(row) for row in self._db.rows(select(t.apps).where(t.apps.c.public))]
        return sorted(found, key=lambda a: (a.name, a.client_id))


class SqlAppSiteBlocks:
    def __init__(self, db: Db) -> None:
        self._db = db

    def block(self, client_id: str, cloud_id: str, at: datetime) -> None:
        reject_nul_values(client_id=client_id, cloud_id=cloud_id)
        values = {"client_id": client_id, "cloud_id": cloud_id, "blocked_at": at}
        self._db.insert_ignore(t.app_site_blocks, values)

    def blocked_sites(self, client_id: str) -> frozenset[str]:
        if has_nul(client_id):
            return frozenset()
        c = t.app_site_blocks.c
        rows = self._db.rows(select(c.cloud_id).where(c.client_id == client_id))
        return frozenset(row.cloud_id for row in rows)
