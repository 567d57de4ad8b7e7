"""Grants as people manage them: a user's connected apps, and a site admin's view of a site.

CONTRACT §6 and §4.4. A user may revoke an app entirely (the grant goes, with every token
family and unredeemed code under it: RFC 7009 §2.1, RFC 9700 §4.14.2) or remove one site from
the grant; a site's admins may remove one user's access to the site or remove an app from the
site for everyone (atlassian-3lo.md §7, "Manage authorization" and "Uninstall").

Every function here is one transaction that checks who may do what before it writes, and
writes an audit event beside every change. A caller who may not see a grant or a site gets
:class:`NotFound`, the same answer as for one that does not exist (OWASP API1, BOLA).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from threelo.core import access
from threelo.core.models import AuditEvent, Grant, Site
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.scopes import OFFLINE_ACCESS, ScopeCatalogue


class NotFound(LookupError):
    """Nothing the caller may see under this id; says nothing about whether it exists."""


@dataclass(frozen=True, slots=True)
class SiteRef:
    cloud_id: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class ScopeRef:
    name: str
    title: str


@dataclass(frozen=True, slots=True)
class ConnectedApp:
    """One app a user granted, as the connected-apps page shows it."""

    client_id: str
    app_name: str
    sites: tuple[SiteRef, ...]
    scopes: tuple[ScopeRef, ...]
    granted_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class SiteUser:
    account_id: str
    name: str
    email: str
    scopes: tuple[ScopeRef, ...]
    granted_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class SiteApp:
    client_id: str
    app_name: str
    users: tuple[SiteUser, ...]


@dataclass(frozen=True, slots=True)
class SiteOverview:
    site: SiteRef
    apps: tuple[SiteApp, ...]


# --- a user's own grants ---------------------------------------------------------------------


def connected_apps(platform: Platform, account_id: str) -> list[ConnectedApp]:
    """Every app the account granted, newest first."""
    out: list[ConnectedApp] = []
    with platform.store.reader() as tx:
        for grant in tx.grants.for_account(account_id):
            app = tx.apps.get(grant.client_id)
            if app is None:
                continue
            out.append(
                ConnectedApp(
                    client_id=app.client_id,
                    app_name=app.name,
                    sites=_site_refs(tx, grant.sites),
                    scopes=_scope_refs(platform.catalogue, effective_scopes(grant, app.scopes)),
                    granted_at=grant.created_at,
                    last_used_at=grant.last_used_at,
                )
            )
    out.sort(key=lambda c: c.granted_at, reverse=True)
    return out


def revoke_app(platform: Platform, account_id: str, client_id: str) -> None:
    """The user revokes the app: it cannot work anywhere any more (atlassian-3lo.md §7)."""
    with platform.store.transaction() as tx:
        grant = _own_grant(tx, account_id, client_id)
        end_grant(tx, grant, platform.clock.now(), "revoked by the user")
        _audit(tx, platform, "grant.revoked", grant, by=account_id)
    access.invalidate_grant(grant.grant_id)


def remove_site(platform: Platform, account_id: str, client_id: str, cloud_id: str) -> None:
    """Take one site out of the user's grant; the app keeps every other site.

    The reach of every token of the grant is computed from ``grant.sites`` now (CONTRACT §4.4),
    so the site drops out of all of them at once. When no site remains the grant is kept, with
    no sites: identity scopes keep working, and a new consent can add sites again.
    """
    with platform.store.transaction() as tx:
        grant = _own_grant(tx, account_id, client_id)
        if cloud_id not in grant.sites:
            raise NotFound("no such site in this grant")
        _drop_site(tx, platform, grant, cloud_id, "grant.site_removed", by=account_id)
    access.invalidate_grant(grant.grant_id)


def end_grant(tx: Tx, grant: Grant, now: datetime, reason: str) -> None:
    """Delete a grant with everything issued under it (RFC 9700 §4.14.2)."""
    tx.families.revoke_for_grant(grant.grant_id, now, reason)
    tx.codes.delete_for_grant(grant.grant_id)
    tx.grants.delete(grant.grant_id)


def effective_scopes(grant: Grant, app_scopes: Iterable[str]) -> tuple[str, ...]:
    """The grant's scopes the app still registers (GR-05), plus ``offline_access``."""
    allowed = set(app_scopes) | {OFFLINE_ACCESS}
    return tuple(s for s in grant.scopes if s in allowed)


# --- a site admin's view ---------------------------------------------------------------------


def site_overview(platform: Platform, admin_id: str, cloud_id: str) -> SiteOverview:
    """Which apps reach the site, for which users."""
    with platform.store.reader() as tx:
        site = _administered_site(tx, admin_id, cloud_id)
        blocked_cache: dict[str, frozenset[str]] = {}
        by_app: dict[str, list[SiteUser]] = {}
        names: dict[str, str] = {}
        for grant in tx.grants.with_site(cloud_id):
            app = tx.apps.get(grant.client_id)
            account = tx.accounts.get(grant.account_id)
            if app is None or account is None:
                continue
            blocked = blocked_cache.setdefault(
                app.client_id, tx.app_site_blocks.blocked_sites(app.client_id)
            )
            if cloud_id in blocked:
                continue
            names[app.client_id] = app.name
            by_app.setdefault(app.client_id, []).append(
                SiteUser(
                    account_id=account.account_id,
                    name=account.name,
                    email=account.email,
                    scopes=_scope_refs(platform.catalogue, effective_scopes(grant, app.scopes)),
                    granted_at=grant.created_at,
                    last_used_at=grant.last_used_at,
                )
            )
    apps = tuple(
        SiteApp(client_id, names[client_id], tuple(users))
        for client_id, users in sorted(by_app.items(), key=lambda kv: names[kv[0]].lower())
    )
    return SiteOverview(SiteRef(site.cloud_id, site.name, site.url), apps)


def administered_sites(platform: Platform, admin_id: str) -> list[SiteRef]:
    with platform.store.reader() as tx:
        sites = (tx.sites.get(cid) for cid in tx.site_admins.sites_of(admin_id))
        return sorted(
            (SiteRef(s.cloud_id, s.name, s.url) for s in sites if s is not None),
            key=lambda s: s.name.lower(),
        )


def revoke_user_on_site(
    platform: Platform, admin_id: str, cloud_id: str, client_id: str, account_id: str
) -> None:
    """The admin removes one user's authorization of the app for this site only (GR-08)."""
    with platform.store.transaction() as tx:
        _administered_site(tx, admin_id, cloud_id)
        grant = tx.grants.find(client_id, account_id)
        if grant is None or cloud_id not in grant.sites:
            raise NotFound("no such authorization on this site")
        _drop_site(tx, platform, grant, cloud_id, "grant.site_revoked_by_admin", by=admin_id)
    access.invalidate_grant(grant.grant_id)


def remove_app_from_site(platform: Platform, admin_id: str, cloud_id: str, client_id: str) -> int:
    """Remove the app from the site for everyone; returns how many grants lost the site.

    The site is blocked for the app (no token reaches it, whatever a grant holds) and taken out
    of every grant of the app, so no user's token reaches it any more (GR-08).
    """
    with platform.store.transaction() as tx:
        _administered_site(tx, admin_id, cloud_id)
        if tx.apps.get(client_id) is None:
            raise NotFound("no such app")
        now = platform.clock.now()
        tx.app_site_blocks.block(client_id, cloud_id, now)
        affected = [g for g in tx.grants.with_site(cloud_id) if g.client_id == client_id]
        for grant in affected:
            tx.grants.update(_without_site(grant, cloud_id, now))
        tx.audit.add(
            AuditEvent(
                kind="app.removed_from_site",
                at=now,
                account_id=admin_id,
                client_id=client_id,
                cloud_id=cloud_id,
                detail={"grants": str(len(affected))},
            )
        )
    access.invalidate_app(client_id)
    return len(affected)


# --- helpers ---------------------------------------------------------------------------------


def _own_grant(tx: Tx, account_id: str, client_id: str) -> Grant:
    grant = tx.grants.find(client_id, account_id)
    if grant is None:
        raise NotFound("no such connected app")
    return grant


def _administered_site(tx: Tx, admin_id: str, cloud_id: str) -> Site:
    site = tx.sites.get(cloud_id)
    if site is None or not tx.site_admins.is_admin(cloud_id, admin_id):
        raise NotFound("no such site")
    return site


def _drop_site(
    tx: Tx, platform: Platform, grant: Grant, cloud_id: str, kind: str, *, by: str
) -> None:
    now = platform.clock.now()
    tx.grants.update(_without_site(grant, cloud_id, now))
    tx.audit.add(
        AuditEvent(
            kind=kind,
            at=now,
            account_id=grant.account_id,
            client_id=grant.client_id,
            cloud_id=cloud_id,
            detail={"by": by},
        )
    )


def _without_site(grant: Grant, cloud_id: str, now: datetime) -> Grant:
    return Grant(
        grant_id=grant.grant_id,
        client_id=grant.client_id,
        account_id=grant.account_id,
        scopes=grant.scopes,
        sites=grant.sites - {cloud_id},
        app_scopes_version=grant.app_scopes_version,
        created_at=grant.created_at,
        updated_at=now,
        last_used_at=grant.last_used_at,
    )


def _audit(tx: Tx, platform: Platform, kind: str, grant: Grant, *, by: str) -> None:
    tx.audit.add(
        AuditEvent(
            kind=kind,
            at=platform.clock.now(),
            account_id=grant.account_id,
            client_id=grant.client_id,
            detail={"by": by, "sites": " ".join(sorted(grant.sites))},
        )
    )


def _site_refs(tx: Tx, cloud_ids: Iterable[str]) -> tuple[SiteRef, ...]:
    sites = (tx.sites.get(cid) for cid in cloud_ids)
    return tuple(
        sorted(
            (SiteRef(s.cloud_id, s.name, s.url) for s in sites if s is not None),
            key=lambda s: s.name.lower(),
        )
    )


def _scope_refs(catalogue: ScopeCatalogue, names: Sequence[str]) -> tuple[ScopeRef, ...]:
    return tuple(ScopeRef(s.name, s.title) for s in catalogue.describe(names))
