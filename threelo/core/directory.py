"""Directory operations: accounts, sites, memberships and apps (CONTRACT §2, §3).

Used by the command line and the developer console. Each operation validates every input and
raises :class:`DirectoryError` with one human line before it writes anything; what it writes,
it writes in one transaction together with its audit event.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
import zoneinfo
from collections.abc import Iterable
from functools import cache
from urllib.parse import quote

from threelo.core import access, passwords
from threelo.core.callback_urls import CallbackUrlError, validate_callback_urls
from threelo.core.clock import Clock, SystemClock
from threelo.core.models import (
    Account,
    AccountStatus,
    App,
    AuditEvent,
    Distribution,
    Membership,
    Site,
)
from threelo.core.ports import Conflict, Store, Tx
from threelo.core.scopes import OFFLINE_ACCESS, ScopeCatalogue
from threelo.core.secret_values import digest, new_secret

MAX_TEXT_LENGTH = 255
BUILTIN_SITE_PRODUCTS = frozenset({"jira", "confluence"})
SITE_DOMAIN = "atlassian.example"

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_SYSTEM_CLOCK = SystemClock()
_CATALOGUE = ScopeCatalogue()


class DirectoryError(ValueError):
    """Input the directory refuses; the message is one line meant for people."""


def audit(tx: Tx, kind: str, clock: Clock, *, account_id: str | None = None,
          client_id: str | None = None, cloud_id: str | None = None, **detail: str) -> None:
    """Record an audit event (``account.deactivated``, ``app.created``, ...) in ``tx``."""
    tx.audit.add(AuditEvent(kind, clock.now(), account_id, client_id, cloud_id, dict(detail)))


def create_account(
    store: Store, email: str, name: str, password: str, *, nickname: str = "",
    zoneinfo: str = "UTC", locale: str = "en-US", job_title: str = "", department: str = "",
    organization: str = "", location: str = "", clock: Clock = _SYSTEM_CLOCK,
) -> Account:  # fmt: skip
    email, name = _email(email), _text("name", name, required=True)
    zone, lang, nickname = _zone(zoneinfo), _locale(locale), _text("nickname", nickname) or name
    job, dept, org, place = (
        _text(label, value)
        for label, value in (("job title", job_title), ("department", department),
                             ("organization", organization), ("location", location))
    )  # fmt: skip
    password_hash = passwords.hash_password(_password(password))
    account_id = f"712020:{uuid.uuid4()}"
    account = Account(
        account_id=account_id, email=email, name=name, password_hash=password_hash,
        nickname=nickname, picture=avatar_url(name, account_id), zoneinfo=zone, locale=lang,
        job_title=job, organization=org, department=dept, location=place, created_at=clock.now(),
    )  # fmt: skip
    with store.transaction() as tx:
        if tx.accounts.get_by_email(email) is not None:  # case-insensitive (CONTRACT §2)
            raise DirectoryError(f"an account with e-mail {email} already exists")
        try:
            tx.accounts.add(account)
        except Conflict:
            raise DirectoryError(f"an account with e-mail {email} already exists") from None
        audit(tx, "account.created", clock, account_id=account_id)
    return account


def deactivate_account(store: Store, account_id: str, *, clock: Clock = _SYSTEM_CLOCK) -> None:
    """CONTRACT §2: an inactive account can't sign in and its tokens stop working."""
    with store.transaction() as tx:
        _account(tx, account_id)
        tx.accounts.set_status(account_id, AccountStatus.INACTIVE)
        _end_everything(tx, account_id, clock, "account deactivated")
        audit(tx, "account.deactivated", clock, account_id=account_id)
    access.invalidate_account(account_id)


def set_password(
    store: Store, account_id: str, password: str, *, clock: Clock = _SYSTEM_CLOCK
) -> None:
    """A new password ends every token family and session of the account (CONTRACT §4.6)."""
    password_hash = passwords.hash_password(_password(password))
    with store.transaction() as tx:
        _account(tx, account_id)
        tx.accounts.set_password(account_id, password_hash)
        _end_everything(tx, account_id, clock, "password changed")
        audit(tx, "account.password_changed", clock, account_id=account_id)
    access.invalidate_account(account_id)


def _end_everything(tx: Tx, account_id: str, clock: Clock, reason: str) -> None:
    tx.families.revoke_for_account(account_id, clock.now(), reason)
    tx.sessions.delete_for_account(account_id)


def avatar_url(name: str, seed: str) -> str:
    """A self-contained initials avatar (an SVG ``data:`` URL): no third party is asked."""
    initials = "".join(c for word in name.split()[:2] if (c := word[0]).isalnum()).upper()
    hue = int(digest(seed)[:4], 16) % 360
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' width='48' height='48'>"
        f"<rect width='48' height='48' fill='hsl({hue},45%,45%)'/><text x='24' y='31' "
        "font-family='sans-serif' font-size='18' fill='white' text-anchor='middle'>"
        f"{initials or '?'}</text></svg>"
    )
    return "data:image/svg+xml," + quote(svg, safe="/:='")


def create_site(
    store: Store, name: str, products: Iterable[str], url: str | None = None, *,
    catalogue: ScopeCatalogue = _CATALOGUE, clock: Clock = _SYSTEM_CLOCK,
) -> Site:  # fmt: skip
    name = _text("site name", name, required=True)
    wanted = _site_products(products, catalogue)
    cloud_id = str(uuid.uuid4())
    with store.transaction() as tx:
        taken = {site.url for site in tx.sites.list()}
        site_url = _default_site_url(name, taken) if url is None else _site_url(url, taken)
        site = Site(cloud_id, name, site_url, avatar_url(name, cloud_id), wanted)
        tx.sites.add(site)
        audit(tx, "site.created", clock, cloud_id=cloud_id)
    return site


def add_member(
    store: Store, cloud_id: str, account_id: str, products: Iterable[str] | None = None,
    admin: bool = False, *, clock: Clock = _SYSTEM_CLOCK,
) -> tuple[str, ...]:  # fmt: skip
    """Make the account a member of the site's products (default: all); idempotent.

    ``admin`` also makes it an admin of the site; ``admin=False`` leaves an admin one.
    """
    with store.transaction() as tx:
        site, _ = _site(tx, cloud_id), _account(tx, account_id)
        chosen = site.products if products is None else _dedupe(products)
        missing = [p for p in chosen if p not in site.products]
        if missing or not chosen:
            raise DirectoryError(
                f"site {site.name} does not run {', '.join(missing) or 'no product'}"
                f" (it runs: {', '.join(site.products)})"
            )
        held = {m.product for m in tx.memberships.for_account(account_id) if m.cloud_id == cloud_id}
        for product in (p for p in chosen if p not in held):
            tx.memberships.add(Membership(cloud_id, account_id, product))
        if admin:
            tx.site_admins.set_admin(cloud_id, account_id, True)
        audit(tx, "membership.added", clock, account_id=account_id, cloud_id=cloud_id,
              products=" ".join(chosen), admin=str(admin).lower())  # fmt: skip
    access.invalidate_account(account_id)
    return chosen


def remove_member(
    store: Store, cloud_id: str, account_id: str, *, clock: Clock = _SYSTEM_CLOCK
) -> int:
    """Remove every membership (and admin right) of the account on the site; returns how many."""
    with store.transaction() as tx:
        _site(tx, cloud_id), _account(tx, account_id)
        removed = tx.memberships.remove(cloud_id, account_id)
        tx.site_admins.set_admin(cloud_id, account_id, False)
        audit(tx, "membership.removed", clock, account_id=account_id, cloud_id=cloud_id)
    # A lost membership drops the site out of every token's reach at once in this process.
    access.invalidate_account(account_id)
    return removed


def site_products(catalogue: ScopeCatalogue = _CATALOGUE) -> frozenset[str]:
    """The products a site may run: Jira, Confluence and every configured site product."""
    return BUILTIN_SITE_PRODUCTS | {p.name for p in catalogue.products.values() if p.site_product}


def _site_products(products: Iterable[str], catalogue: ScopeCatalogue) -> tuple[str, ...]:
    allowed, chosen = site_products(catalogue), _dedupe(products)
    unknown = [p for p in chosen if p not in allowed]
    if unknown or not chosen:
        raise DirectoryError(
            f"unknown product {', '.join(unknown) or '(none given)'};"
            f" choose from: {', '.join(sorted(allowed))}"
        )
    return chosen


def _default_site_url(name: str, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "site"
    url, n = f"https://{slug}.{SITE_DOMAIN}", 1
    while url in taken:
        n += 1
        url = f"https://{slug}-{n}.{SITE_DOMAIN}"
    return url


def _site_url(url: str, taken: set[str]) -> str:
    try:
        validate_callback_urls([url])
    except CallbackUrlError as err:
        raise DirectoryError(str(err).replace("callback URL", "site URL")) from None
    if "?" in url:
        raise DirectoryError(f"site URL must not have a query: {url!r}")
    if url.rstrip("/") in taken:
        raise DirectoryError(f"a site with URL {url.rstrip('/')} already exists")
    return url.rstrip("/")


def create_app(
    store: Store, name: str, owner_id: str, callback_urls: Iterable[str], scopes: Iterable[str],
    public: bool = False, resource_level: bool = False, distribution: str = "private", *,
    catalogue: ScopeCatalogue = _CATALOGUE, clock: Clock = _SYSTEM_CLOCK,
) -> tuple[App, str | None]:  # fmt: skip
    """Register an app; returns it with its client secret (None for a public client).

    The client id is chosen here, never by the caller (RFC 9700 §4.15); the secret is shown
    once and stored only as a digest (RFC 6819 §5.1.4.1.3).
    """
    name = _text("app name", name, required=True)
    try:
        callbacks = validate_callback_urls(callback_urls)
    except CallbackUrlError as err:
        raise DirectoryError(str(err)) from None
    wanted, kind = _app_scopes(scopes, catalogue), _distribution(distribution)
    secret = None if public else new_secret()
    app = App(
        client_id=secrets.token_urlsafe(24), name=name, owner_id=owner_id,
        callback_urls=callbacks, scopes=wanted, public=public, resource_level=resource_level,
        secret_digest=None if secret is None else digest(secret), distribution=kind,
        created_at=clock.now(),
    )  # fmt: skip
    with store.transaction() as tx:
        _account(tx, owner_id)
        tx.apps.add(app)
        audit(tx, "app.created", clock, account_id=owner_id, client_id=app.client_id)
    return app, secret


def _app_scopes(scopes: Iterable[str], catalogue: ScopeCatalogue) -> tuple[str, ...]:
    chosen = _dedupe(scopes)
    if unknown := catalogue.unknown(chosen):
        raise DirectoryError(f"unknown scope {', '.join(unknown)}")
    # offline_access needs no configuration on the app (CONTRACT §4.1): accepted and dropped.
    return tuple(s for s in chosen if s != OFFLINE_ACCESS)


def _distribution(value: str) -> Distribution:
    try:
        return Distribution(value)
    except ValueError:
        raise DirectoryError(f"distribution must be private or sharing, got {value!r}") from None


def _account(tx: Tx, account_id: str) -> Account:
    if (account := tx.accounts.get(account_id)) is None:
        raise DirectoryError(f"no account with id {account_id!r}")
    return account


def _site(tx: Tx, cloud_id: str) -> Site:
    if (site := tx.sites.get(cloud_id)) is None:
        raise DirectoryError(f"no site with id {cloud_id!r}")
    return site


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


def _text(label: str, value: str, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise DirectoryError(f"{label} must not be empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise DirectoryError(f"{label} must be at most {MAX_TEXT_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise DirectoryError(f"{label} must not contain control characters")
    return value


def _email(value: str) -> str:
    email = _text("e-mail", value, required=True)
    if _EMAIL.fullmatch(email) is None or len(email) > 254:
        raise DirectoryError(f"{email!r} does not look like an e-mail address")
    return email


def _password(value: str) -> str:
    if problem := passwords.password_problem(value):
        raise DirectoryError(problem)
    return value


def _zone(value: str) -> str:
    if value != "UTC" and value not in _known_zones():
        raise DirectoryError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)")
    return value


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _locale(value: str) -> str:
    if _LOCALE.fullmatch(value) is None:
        raise DirectoryError(f"locale must look like en-US, got {value!r}")
    return value
