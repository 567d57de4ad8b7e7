"""Directory and key commands: accounts, sites, apps, keys."""

from __future__ import annotations

from threelo.cli.context import Invocation, read_password
from threelo.core import directory
from threelo.core.clock import SystemClock
from threelo.core.keys import rotate_keys

_clock = SystemClock()


def _list(raw: str | None) -> list[str] | None:
    return None if raw is None else [p.strip() for p in raw.split(",") if p.strip()]


def accounts_create(inv: Invocation) -> None:
    a = inv.args
    with inv.store() as store:
        account = directory.create_account(
            store, a.email, a.name, read_password(a.password), nickname=a.nickname,
            zoneinfo=a.zoneinfo, locale=a.locale, job_title=a.job_title,
            department=a.department, organization=a.organization, location=a.location,
            clock=_clock,
        )  # fmt: skip
    inv.out.result(
        {"account_id": account.account_id},
        f"Created account {account.account_id} for {account.email}",
    )


def accounts_deactivate(inv: Invocation) -> None:
    account_id = inv.args.account_id
    with inv.store() as store:
        directory.deactivate_account(store, account_id, clock=_clock)
    inv.out.result(
        {"ok": True, "account_id": account_id},
        f"Deactivated account {account_id}; its sessions and tokens no longer work",
    )


def accounts_set_password(inv: Invocation) -> None:
    account_id = inv.args.account_id
    password = read_password(inv.args.password)
    with inv.store() as store:
        directory.set_password(store, account_id, password, clock=_clock)
    inv.out.result(
        {"ok": True, "account_id": account_id},
        f"Set a new password for {account_id}; its refresh tokens were revoked",
    )


def sites_create(inv: Invocation) -> None:
    a = inv.args
    with inv.store() as store:
        site = directory.create_site(
            store, a.name, _list(a.products) or [], a.url, catalogue=inv.catalogue(), clock=_clock
        )
    inv.out.result(
        {"id": site.cloud_id, "name": site.name, "url": site.url},
        f"Created site {site.name} ({', '.join(site.products)}) at {site.url}\n"
        f"cloud id: {site.cloud_id}",
    )


def sites_add_member(inv: Invocation) -> None:
    a = inv.args
    with inv.store() as store:
        products = directory.add_member(
            store, a.cloud_id, a.account_id, _list(a.products), a.admin, clock=_clock
        )
    role = " and admin" if a.admin else ""
    inv.out.result(
        {"ok": True, "cloud_id": a.cloud_id, "account_id": a.account_id,
         "products": list(products), "admin": a.admin},
        f"{a.account_id} is a member{role} of {a.cloud_id} ({', '.join(products)})",
    )  # fmt: skip


def sites_remove_member(inv: Invocation) -> None:
    a = inv.args
    with inv.store() as store:
        removed = directory.remove_member(store, a.cloud_id, a.account_id, clock=_clock)
    inv.out.result(
        {"ok": True, "cloud_id": a.cloud_id, "account_id": a.account_id, "removed": removed},
        f"Removed {removed} membership(s) of {a.account_id} on {a.cloud_id}",
    )


def apps_create(inv: Invocation) -> None:
    a = inv.args
    with inv.store() as store:
        app, secret = directory.create_app(
            store, a.name, a.owner, a.callback_urls, a.scopes.replace(",", " ").split(), a.public,
            a.resource_level, a.distribution, catalogue=inv.catalogue(), clock=_clock,
        )  # fmt: skip
    result: dict[str, object] = {"client_id": app.client_id, "name": app.name}
    text = f"Created app {app.name}\nclient id:     {app.client_id}"
    if secret is not None:
        result["client_secret"] = secret
        text += f"\nclient secret: {secret}\n(shown only now: store it somewhere safe)"
    inv.out.result(result, text)


def keys_rotate(inv: Invocation) -> None:
    with inv.store() as store:
        key = rotate_keys(store, _clock)
    inv.out.result(
        {"ok": True, "kid": key.kid},
        f"New signing key {key.kid}; older keys stay published until their tokens expire",
    )
