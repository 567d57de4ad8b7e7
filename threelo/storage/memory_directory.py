"""Memory repositories for the directory: accounts, sites, memberships, admins, apps."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from threelo.core.models import Account, AccountStatus, App, Membership, Site
from threelo.core.ports import Conflict, Later
from threelo.storage.memory_state import Journal, Tables, answered
from threelo.storage.values import checked, reject_nul_values, utc


class MemoryAccounts:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, account: Account) -> None:
        account = checked(account)
        email = account.email.lower()
        if account.account_id in self._t.accounts or email in self._t.emails:
            raise Conflict("an account with this id or e-mail exists")
        self._j.writing(self._t.accounts)[account.account_id] = account
        self._j.writing(self._t.emails)[email] = account.account_id

    def get(self, account_id: str) -> Account | None:
        return self._t.accounts.get(account_id)

    def get_later(self, account_id: str) -> Later[Account | None]:
        return answered(self.get(account_id))

    def get_by_email(self, email: str) -> Account | None:
        account_id = self._t.emails.get(email.lower())
        return None if account_id is None else self._t.accounts.get(account_id)

    def set_status(self, account_id: str, status: AccountStatus) -> bool:
        account = self._t.accounts.get(account_id)
        if account is None:
            return False
        changed = dataclasses.replace(account, status=AccountStatus(status))
        self._j.writing(self._t.accounts)[account_id] = changed
        return True

    def set_password(self, account_id: str, password_hash: str) -> bool:
        reject_nul_values(password_hash=password_hash)
        account = self._t.accounts.get(account_id)
        if account is None:
            return False
        changed = dataclasses.replace(account, password_hash=password_hash)
        self._j.writing(self._t.accounts)[account_id] = changed
        return True

    def list(self) -> Sequence[Account]:
        return sorted(self._t.accounts.values(), key=lambda a: (a.email.lower(), a.account_id))


class MemorySites:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, site: Site) -> None:
        site = checked(site)
        if site.cloud_id in self._t.sites:
            raise Conflict("a site with this cloud id exists")
        self._j.writing(self._t.sites)[site.cloud_id] = site

    def get(self, cloud_id: str) -> Site | None:
        return self._t.sites.get(cloud_id)

    def get_later(self, cloud_id: str) -> Later[Site | None]:
        return answered(self.get(cloud_id))

    def list(self) -> Sequence[Site]:
        return sorted(self._t.sites.values(), key=lambda s: (s.name, s.cloud_id))


class MemoryMemberships:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, membership: Membership) -> None:
        membership = checked(membership)
        key = (membership.cloud_id, membership.account_id, membership.product)
        if key not in self._t.memberships:
            self._j.writing(self._t.memberships)[key] = membership

    def remove(self, cloud_id: str, account_id: str) -> int:
        doomed = [k for k in self._t.memberships if k[0] == cloud_id and k[1] == account_id]
        if doomed:
            table = self._j.writing(self._t.memberships)
            for key in doomed:
                del table[key]
        return len(doomed)

    def for_account(self, account_id: str) -> Sequence[Membership]:
        found = [m for m in self._t.memberships.values() if m.account_id == account_id]
        return sorted(found, key=lambda m: (m.cloud_id, m.product))

    def for_account_later(self, account_id: str) -> Later[Sequence[Membership]]:
        return answered(self.for_account(account_id))

    def with_sites(self, account_id: str) -> Sequence[tuple[Membership, Site]]:
        sites = self._t.sites
        return [(m, sites[m.cloud_id]) for m in self.for_account(account_id) if m.cloud_id in sites]

    def with_sites_and_blocks(
        self, account_id: str, client_id: str
    ) -> Sequence[tuple[Membership, Site, bool]]:
        blocks = self._t.blocks
        return [(m, s, (client_id, s.cloud_id) in blocks) for m, s in self.with_sites(account_id)]

    def for_site(self, cloud_id: str) -> Sequence[Membership]:
        found = [m for m in self._t.memberships.values() if m.cloud_id == cloud_id]
        return sorted(found, key=lambda m: (m.account_id, m.product))


class MemorySiteAdmins:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def set_admin(self, cloud_id: str, account_id: str, admin: bool) -> None:
        reject_nul_values(cloud_id=cloud_id, account_id=account_id)
        key = (cloud_id, account_id)
        if admin and key not in self._t.site_admins:
            self._j.writing(self._t.site_admins)[key] = True
        elif not admin and key in self._t.site_admins:
            del self._j.writing(self._t.site_admins)[key]

    def is_admin(self, cloud_id: str, account_id: str) -> bool:
        return (cloud_id, account_id) in self._t.site_admins

    def sites_of(self, account_id: str) -> Sequence[str]:
        return sorted(cloud for cloud, account in self._t.site_admins if account == account_id)


class MemoryApps:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def add(self, app: App) -> None:
        app = checked(app)
        if app.client_id in self._t.apps:
            raise Conflict("an app with this client id exists")
        self._j.writing(self._t.apps)[app.client_id] = app

    def get(self, client_id: str) -> App | None:
        return self._t.apps.get(client_id)

    def get_later(self, client_id: str) -> Later[App | None]:
        return answered(self.get(client_id))

    def update(self, app: App) -> None:
        app = checked(app)
        old = self._t.apps.get(app.client_id)
        if old is not None:
            self._j.writing(self._t.apps)[app.client_id] = dataclasses.replace(
                app, created_at=old.created_at
            )

    def delete(self, client_id: str) -> bool:
        if client_id not in self._t.apps:
            return False
        del self._j.writing(self._t.apps)[client_id]
        return True

    def list_by_owner(self, owner_id: str) -> Sequence[App]:
        found = [a for a in self._t.apps.values() if a.owner_id == owner_id]
        return sorted(found, key=lambda a: (a.name, a.client_id))

    def list_public(self) -> Sequence[App]:
        found = [a for a in self._t.apps.values() if a.public]
        return sorted(found, key=lambda a: (a.name, a.client_id))


class MemoryAppSiteBlocks:
    def __init__(self, tables: Tables, journal: Journal) -> None:
        self._t, self._j = tables, journal

    def block(self, client_id: str, cloud_id: str, at: datetime) -> None:
        at = utc(at)
        reject_nul_values(client_id=client_id, cloud_id=cloud_id)
        if (client_id, cloud_id) not in self._t.blocks:
            self._j.writing(self._t.blocks)[(client_id, cloud_id)] = at

    def blocked_sites(self, client_id: str) -> frozenset[str]:
        return frozenset(cloud for client, cloud in self._t.blocks if client == client_id)

    def blocked_sites_later(self, client_id: str) -> Later[frozenset[str]]:
        return answered(self.blocked_sites(client_id))
