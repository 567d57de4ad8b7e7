"""Consent policy: who may authorize an app, for which sites, and when no page is needed."""

from __future__ import annotations

from dataclasses import dataclass

from threelo.core.errors import AccessDenied
from threelo.core.models import Account, App, Distribution, Grant, Site
from threelo.core.ports import Tx
from threelo.core.scopes import ScopeCatalogue

PRIVATE_APP = "This app is private: only its developer can authorize it."
INACTIVE_ACCOUNT = "This account is deactivated."


@dataclass(frozen=True, slots=True)
class SiteChoice:
    """The sites a consent may cover for this user, app and set of scopes."""

    needs_site: bool  # False when the scopes touch no site product (e.g. read:me offline_access)
    eligible: tuple[Site, ...]  # ordered by name
    blocked: tuple[Site, ...]  # sites whose admin removed the app

    @property
    def eligible_ids(self) -> frozenset[str]:
        return frozenset(site.cloud_id for site in self.eligible)


def check_may_authorize(app: App, account: Account) -> None:
    """Private apps are only for their owner (CONTRACT §6); inactive accounts authorize nothing."""
    if not account.active:
        raise AccessDenied(INACTIVE_ACCOUNT)
    if app.distribution is Distribution.PRIVATE and account.account_id != app.owner_id:
        raise AccessDenied(PRIVATE_APP)


def site_choice(
    tx: Tx, catalogue: ScopeCatalogue, app: App, account: Account, scopes: tuple[str, ...]
) -> SiteChoice:
    """Sites where the user is a member of a product the scopes need, minus blocked ones.

    RFC 9700 §2.3: a user can grant only what they themselves may reach.
    """
    products = catalogue.site_products(scopes)
    if not products:
        return SiteChoice(needs_site=False, eligible=(), blocked=())
    member_of: dict[str, Site] = {}
    blocked_ids: set[str] = set()
    for membership, site, app_blocked in tx.memberships.with_sites_and_blocks(
        account.account_id, app.client_id
    ):
        if membership.product in products:
            member_of[site.cloud_id] = site
            if app_blocked:
                blocked_ids.add(site.cloud_id)
    eligible: list[Site] = []
    blocked: list[Site] = []
    for cloud_id, site in member_of.items():
        if not products & set(site.products):
            continue
        (blocked if cloud_id in blocked_ids else eligible).append(site)
    return SiteChoice(True, _by_name(eligible), _by_name(blocked))


def _by_name(sites: list[Site]) -> tuple[Site, ...]:
    return tuple(sorted(sites, key=lambda s: (s.name.casefold(), s.cloud_id)))


def remembered_sites(
    grant: Grant | None, app: App, scopes: tuple[str, ...], choice: SiteChoice
) -> frozenset[str] | None:
    """The sites of a code issued without asking again, or None when the user must consent.

    RFC 6819 §5.2.4.1: only what was granted before, for the app's current registration
    (changing an app's scopes bumps ``scopes_version`` and asks again).
    """
    if grant is None or grant.app_scopes_version != app.scopes_version:
        return None
    if not set(scopes) <= set(grant.scopes):
        return None
    sites = grant.sites & choice.eligible_ids
    if choice.needs_site and not sites:
        return None
    return frozenset(sites)
