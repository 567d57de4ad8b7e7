"""SQL repositories for the directory: accounts, sites, memberships, admins, apps, blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update

from threelo.core.models import Account, AccountStatus, App, Distribution, Membership, Site
from threelo.core.ports import Later
from threelo.storage.sql import tables as t
from threelo.storage.sql.boundary import Db, no_answer, param
from threelo.storage.values import has_nul, reject_nul, reject_nul_values

# Lists are sorted in Python, by the same keys as the memory store, so that the order never
# depends on a database collation.

_ACCOUNT_FIELDS = (
    "account_id", "email", "name", "password_hash", "nickname", "picture", "zoneinfo",
    "locale", "job_title", "organization", "department", "location", "created_at",
)  # fmt: skip


_a = t.accounts.c
_ACCOUNT = select(t.accounts).where(_a.account_id == param(_a.account_id))
_ACCOUNT_BY_EMAIL = select(t.accounts).where(_a.email_lower == param(_a.email_lower))
_ALL_ACCOUNTS = select(t.accounts)
_SET_ACCOUNT_STATUS = (
    update(t.accounts).where(_a.account_id == param(_a.account_id)).values(status=param(_a.status))
)
_SET_ACCOUNT_PASSWORD = (
    update(t.accounts)
    .where(_a.account_id == param(_a.account_id))
    .values(password_hash=param(_a.password_hash))
)

_s = t.sites.c
_SITE = select(t.sites).where(_s.cloud_id == param(_s.cloud_id))
_ALL_SITES = select(t.sites)

_m = t.memberships.c
_MEMBERSHIPS_OF_ACCOUNT = select(t.memberships).where(_m.account_id == param(_m.account_id))
_MEMBERSHIPS_OF_SITE = select(t.memberships).where(_m.cloud_id == param(_m.cloud_id))
_MEMBERSHIPS_WITH_SITES = (
    select(_m.account_id, _m.product, t.sites)
    .select_from(t.memberships.join(t.sites, _s.cloud_id == _m.cloud_id))
    .where(_m.account_id == param(_m.account_id))
)
_REMOVE_MEMBERSHIPS = delete(t.memberships).where(
    (_m.cloud_id == param(_m.cloud_id)) & (_m.account_id == param(_m.account_id))
)

_sa = t.site_admins.c
_ADMIN_PAIR = (_sa.cloud_id == param(_sa.cloud_id)) & (_sa.account_id == param(_sa.account_id))
_IS_ADMIN = select(_sa.cloud_id).where(_ADMIN_PAIR)
_REMOVE_ADMIN = delete(t.site_admins).where(_ADMIN_PAIR)
_ADMIN_SITES = select(_sa.cloud_id).where(_sa.account_id == param(_sa.account_id))

_ap = t.apps.c
_APP = select(t.apps).where(_ap.client_id == param(_ap.client_id))
_APPS_OF_OWNER = select(t.apps).where(_ap.owner_id == param(_ap.owner_id))
_PUBLIC_APPS = select(t.apps).where(_ap.public)
_UPDATE_APP = (
    update(t.apps)
    .where(_ap.client_id == param(_ap.client_id))
    .values(
        {
            name: param(_ap[name])
            for name in (
                "name", "owner_id", "callback_urls", "scopes", "secret_digest", "public",
                "resource_level", "distribution", "scopes_version",
            )
        }
    )
)  # fmt: skip
_DELETE_APP = delete(t.apps).where(_ap.client_id == param(_ap.client_id))

_b = t.app_site_blocks.c
_BLOCKED_SITES = select(_b.cloud_id).where(_b.client_id == param(_b.client_id))
# The consent's site choice: the account's sites, each with the app's block on it if any.
_BLOCKED_OF = "blocked_cloud_id"
_MEMBERSHIPS_WITH_SITES_AND_BLOCKS = (
    select(_m.account_id, _m.product, t.sites, _b.cloud_id.label(_BLOCKED_OF))
    .select_from(
        t.memberships.join(t.sites, _s.cloud_id == _m.cloud_id).outerjoin(
            t.app_site_blocks,
            (_b.cloud_id == _m.cloud_id) & (_b.client_id == param(_b.client_id)),
        )
    )
    .where(_m.account_id == param(_m.account_id))
)


def _account(row: Row[Any], prefix: str = "") -> Account:
    """The account in ``row``, whose columns may carry ``prefix`` (a join's labels)."""
    values = {name: getattr(row, prefix + name) for name in _ACCOUNT_FIELDS}
    return Account(status=AccountStatus(getattr(row, prefix + "status")), **values)


def account_columns(prefix: str) -> list[Any]:
    """The accounts table's columns labelled ``prefix + name``, to read an account in a join."""
    return [column.label(prefix + column.name) for column in t.accounts.c]


def account_in(row: Row[Any], prefix: str) -> Account | None:
    """The account read by :func:`account_columns` (None when an outer join found none)."""
    return None if getattr(row, prefix + "account_id") is None else _account(row, prefix)


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
    __slots__ = ("_db",)

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
        row = self._db.first(_ACCOUNT, {"p_account_id": account_id})
        return None if row is None else _account(row)

    def get_later(self, account_id: str) -> Later[Account | None]:
        if has_nul(account_id):
            return no_answer
        return self._db.later_first(_ACCOUNT, {"p_account_id": account_id}, _account)

    def get_by_email(self, email: str) -> Account | None:
        if has_nul(email):
            return None
        row = self._db.first(_ACCOUNT_BY_EMAIL, {"p_email_lower": email.lower()})
        return None if row is None else _account(row)

    def set_status(self, account_id: str, status: AccountStatus) -> bool:
        value = str(AccountStatus(status))
        return self._set(_SET_ACCOUNT_STATUS, account_id, {"p_status": value})

    def set_password(self, account_id: str, password_hash: str) -> bool:
        reject_nul_values(password_hash=password_hash)
        return self._set(_SET_ACCOUNT_PASSWORD, account_id, {"p_password_hash": password_hash})

    def _set(self, statement: Any, account_id: str, params: dict[str, str]) -> bool:
        if has_nul(account_id):
            return False
        return self._db.write(statement, params | {"p_account_id": account_id}) == 1

    def list(self) -> Sequence[Account]:
        found = [_account(row) for row in self._db.rows(_ALL_ACCOUNTS)]
        return sorted(found, key=lambda a: (a.email.lower(), a.account_id))


class SqlSites:
    __slots__ = ("_db",)

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
        row = self._db.first(_SITE, {"p_cloud_id": cloud_id})
        return None if row is None else self.site(row)

    def get_later(self, cloud_id: str) -> Later[Site | None]:
        if has_nul(cloud_id):
            return no_answer
        return self._db.later_first(_SITE, {"p_cloud_id": cloud_id}, self.site)

    def list(self) -> Sequence[Site]:
        found = [self.site(row) for row in self._db.rows(_ALL_SITES)]
        return sorted(found, key=lambda s: (s.name, s.cloud_id))

    @staticmethod
    def site(row: Row[Any]) -> Site:
        """The site in ``row`` (its table's columns, perhaps among others)."""
        return Site(row.cloud_id, row.name, row.url, row.avatar_url, tuple(row.products))


def _cloud_ids(rows: Sequence[Any]) -> frozenset[str]:
    return frozenset(row.cloud_id for row in rows)


def _memberships(rows: Sequence[Any]) -> list[Membership]:
    found = [Membership(r.cloud_id, r.account_id, r.product) for r in rows]
    return sorted(found, key=lambda m: (m.cloud_id, m.product))


class SqlMemberships:
    __slots__ = ("_db",)

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
        params = {"p_cloud_id": cloud_id, "p_account_id": account_id}
        return self._db.write(_REMOVE_MEMBERSHIPS, params)

    def for_account(self, account_id: str) -> Sequence[Membership]:
        if has_nul(account_id):
            return []
        rows = self._db.rows(_MEMBERSHIPS_OF_ACCOUNT, {"p_account_id": account_id})
        return _memberships(rows)

    def for_account_later(self, account_id: str) -> Later[Sequence[Membership]]:
        if has_nul(account_id):
            return list
        params = {"p_account_id": account_id}
        return self._db.later(_MEMBERSHIPS_OF_ACCOUNT, params, _memberships)

    def with_sites(self, account_id: str) -> Sequence[tuple[Membership, Site]]:
        if has_nul(account_id):
            return []
        rows = self._db.rows(_MEMBERSHIPS_WITH_SITES, {"p_account_id": account_id})
        found = [(Membership(r.cloud_id, r.account_id, r.product), SqlSites.site(r)) for r in rows]
        return sorted(found, key=lambda pair: (pair[0].cloud_id, pair[0].product))

    def with_sites_and_blocks(
        self, account_id: str, client_id: str
    ) -> Sequence[tuple[Membership, Site, bool]]:
        if has_nul(client_id):  # no app has that id, so none is blocked anywhere
            return [(m, site, False) for m, site in self.with_sites(account_id)]
        if has_nul(account_id):
            return []
        params = {"p_account_id": account_id, "p_client_id": client_id}
        rows = self._db.rows(_MEMBERSHIPS_WITH_SITES_AND_BLOCKS, params)
        found = [
            (
                Membership(r.cloud_id, r.account_id, r.product),
                SqlSites.site(r),
                getattr(r, _BLOCKED_OF) is not None,
            )
            for r in rows
        ]
        return sorted(found, key=lambda triple: (triple[0].cloud_id, triple[0].product))

    def for_site(self, cloud_id: str) -> Sequence[Membership]:
        if has_nul(cloud_id):
            return []
        rows = self._db.rows(_MEMBERSHIPS_OF_SITE, {"p_cloud_id": cloud_id})
        found = [Membership(r.cloud_id, r.account_id, r.product) for r in rows]
        return sorted(found, key=lambda m: (m.account_id, m.product))


class SqlSiteAdmins:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def set_admin(self, cloud_id: str, account_id: str, admin: bool) -> None:
        reject_nul_values(cloud_id=cloud_id, account_id=account_id)
        values = {"cloud_id": cloud_id, "account_id": account_id}
        if admin:
            self._db.insert_ignore(t.site_admins, values)
            return
        self._db.write(_REMOVE_ADMIN, {"p_cloud_id": cloud_id, "p_account_id": account_id})

    def is_admin(self, cloud_id: str, account_id: str) -> bool:
        if has_nul(cloud_id, account_id):
            return False
        params = {"p_cloud_id": cloud_id, "p_account_id": account_id}
        return self._db.first(_IS_ADMIN, params) is not None

    def sites_of(self, account_id: str) -> Sequence[str]:
        if has_nul(account_id):
            return []
        rows = self._db.rows(_ADMIN_SITES, {"p_account_id": account_id})
        return sorted(row.cloud_id for row in rows)


class SqlApps:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def add(self, app: App) -> None:
        reject_nul(app)
        values = _app_values(app) | {"client_id": app.client_id, "created_at": app.created_at}
        self._db.insert(t.apps, values)

    def get(self, client_id: str) -> App | None:
        if has_nul(client_id):
            return None
        row = self._db.first(_APP, {"p_client_id": client_id})
        return None if row is None else _app(row)

    def get_later(self, client_id: str) -> Later[App | None]:
        if has_nul(client_id):
            return no_answer
        return self._db.later_first(_APP, {"p_client_id": client_id}, _app)

    def update(self, app: App) -> None:
        reject_nul(app)
        params = {f"p_{name}": value for name, value in _app_values(app).items()}
        self._db.write(_UPDATE_APP, params | {"p_client_id": app.client_id})

    def delete(self, client_id: str) -> bool:
        if has_nul(client_id):
            return False
        return self._db.write(_DELETE_APP, {"p_client_id": client_id}) == 1

    def list_by_owner(self, owner_id: str) -> Sequence[App]:
        if has_nul(owner_id):
            return []
        rows = self._db.rows(_APPS_OF_OWNER, {"p_owner_id": owner_id})
        found = [_app(row) for row in rows]
        return sorted(found, key=lambda a: (a.name, a.client_id))

    def list_public(self) -> Sequence[App]:
        found = [_app(row) for row in self._db.rows(_PUBLIC_APPS)]
        return sorted(found, key=lambda a: (a.name, a.client_id))


class SqlAppSiteBlocks:
    __slots__ = ("_db",)

    def __init__(self, db: Db) -> None:
        self._db = db

    def block(self, client_id: str, cloud_id: str, at: datetime) -> None:
        reject_nul_values(client_id=client_id, cloud_id=cloud_id)
        values = {"client_id": client_id, "cloud_id": cloud_id, "blocked_at": at}
        self._db.insert_ignore(t.app_site_blocks, values)

    def blocked_sites(self, client_id: str) -> frozenset[str]:
        if has_nul(client_id):
            return frozenset()
        return _cloud_ids(self._db.rows(_BLOCKED_SITES, {"p_client_id": client_id}))

    def blocked_sites_later(self, client_id: str) -> Later[frozenset[str]]:
        if has_nul(client_id):
            return frozenset
        return self._db.later(_BLOCKED_SITES, {"p_client_id": client_id}, _cloud_ids)
