"""An app as its developer manages it in the console (CONTRACT §6; atlassian-3lo.md §8).

Only the app's owner may see or change it; anyone else gets :class:`NotFound`, the same answer
as for an app that does not exist (DC-04, OWASP API1), and the attempt is written to the audit
log. Each function is one transaction that writes an audit event beside its change. Client
secrets are returned once, when made, and stored only as digests (RFC 6819 §5.1.4.1.3).
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import NoReturn

from threelo.core import access
from threelo.core.callback_urls import CallbackUrlError, validate_callback_urls
from threelo.core.grant_admin import NotFound, end_grant
from threelo.core.models import App, AuditEvent, Distribution
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.scopes import OFFLINE_ACCESS
from threelo.core.secret_values import digest, new_secret

__all__ = [
    "AppSettingsError",
    "NotFound",
    "create_app",
    "delete_app",
    "get_app",
    "my_apps",
    "recent_events",
    "rotate_secret",
    "set_callback_urls",
    "set_distribution",
    "set_public",
    "set_resource_level",
    "set_scopes",
]

MAX_NAME_LENGTH = 255
MAX_CALLBACK_URLS = 20


class AppSettingsError(ValueError):
    """A change the console refuses; the message is one line meant for the developer."""


def create_app(
    platform: Platform, owner_id: str, name: str, *, resource_level: bool = False
) -> tuple[App, str]:
    """A new confidential app with no callback URL and no API yet; returns it with its secret.

    The client id is chosen here, never by the caller (RFC 9700 §4.15). Until a callback URL
    is set no authorization request can name it, so the app can do nothing yet.
    """
    secret = new_secret()
    app = App(
        client_id=secrets.token_urlsafe(24),
        name=_app_name(name),
        owner_id=owner_id,
        callback_urls=(),
        scopes=(),
        secret_digest=digest(secret),
        resource_level=resource_level,
        created_at=platform.clock.now(),
    )
    with platform.store.transaction() as tx:
        if tx.accounts.get(owner_id) is None:
            raise NotFound("no such account")
        tx.apps.add(app)
        _audit(tx, platform, "app.created", app, owner_id, resource_level=_flag(resource_level))
    return app, secret


def my_apps(platform: Platform, owner_id: str) -> list[App]:
    with platform.store.reader() as tx:
        return sorted(tx.apps.list_by_owner(owner_id), key=lambda a: a.name.lower())


def get_app(platform: Platform, owner_id: str, client_id: str) -> App:
    with platform.store.reader() as tx:
        app = tx.apps.get(client_id)
    if app is None or app.owner_id != owner_id:
        _denied(platform, owner_id, client_id, "view")
    return app


def rotate_secret(platform: Platform, owner_id: str, client_id: str) -> str:
    """A new secret, returned once; the old one stops working at once (CA-08, AC-08 d)."""
    secret = new_secret()
    with _owned(platform, owner_id, client_id, "rotate secret") as (tx, app):
        if app.public:
            raise AppSettingsError("a public client has no secret to rotate")
        tx.apps.update(replace(app, secret_digest=digest(secret)))
        _audit(tx, platform, "app.secret_rotated", app, owner_id)
    return secret


def set_callback_urls(
    platform: Platform, owner_id: str, client_id: str, urls: Iterable[str]
) -> App:
    """Replace the callback URLs, each validated and stored exactly as given (DC-01)."""
    wanted = [u.strip() for u in urls if u.strip()]
    if len(wanted) > MAX_CALLBACK_URLS:
        raise AppSettingsError(f"an app may have at most {MAX_CALLBACK_URLS} callback URLs")
    try:
        callbacks = validate_callback_urls(wanted)
    except CallbackUrlError as err:
        raise AppSettingsError(str(err)) from None
    with _owned(platform, owner_id, client_id, "set callback URLs") as (tx, app):
        updated = replace(app, callback_urls=callbacks)
        tx.apps.update(updated)
        _audit(
            tx,
            platform,
            "app.callback_urls_changed",
            app,
            owner_id,
            callback_urls=" ".join(callbacks),
        )
    return updated


def set_scopes(platform: Platform, owner_id: str, client_id: str, scopes: Iterable[str]) -> App:
    """Set the app's scopes (every API at once). A change bumps ``scopes_version``, so every
    user must consent again (atlassian-3lo.md §7); existing grants keep working with the scopes
    the app still has (GR-05)."""
    chosen = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    if unknown := platform.catalogue.unknown(chosen):
        raise AppSettingsError(f"unknown scope {', '.join(unknown)}")
    # offline_access needs no configuration on the app (CONTRACT §4.1).
    chosen = tuple(s for s in chosen if s != OFFLINE_ACCESS)
    with _owned(platform, owner_id, client_id, "set scopes") as (tx, app):
        if set(chosen) == set(app.scopes):
            return app
        updated = replace(app, scopes=chosen, scopes_version=app.scopes_version + 1)
        tx.apps.update(updated)
        _audit(
            tx,
            platform,
            "app.scopes_changed",
            app,
            owner_id,
            scopes=" ".join(chosen),
            scopes_version=str(updated.scopes_version),
        )
    access.invalidate_app(client_id)
    return updated


def set_public(
    platform: Platform, owner_id: str, client_id: str, public: bool
) -> tuple[App, str | None]:
    """Switch between a public client (PKCE, no secret) and a confidential one.

    Becoming public drops the secret at once; becoming confidential makes a new secret,
    returned once.
    """
    secret = None if public else new_secret()
    with _owned(platform, owner_id, client_id, "set client type") as (tx, app):
        if app.public == public:
            return app, None
        updated = replace(
            app, public=public, secret_digest=None if secret is None else digest(secret)
        )
        tx.apps.update(updated)
        _audit(tx, platform, "app.client_type_changed", app, owner_id, public=_flag(public))
    return updated, secret


def set_resource_level(
    platform: Platform, owner_id: str, client_id: str, resource_level: bool
) -> App:
    with _owned(platform, owner_id, client_id, "set grant type") as (tx, app):
        if app.resource_level == resource_level:
            return app
        updated = replace(app, resource_level=resource_level)
        tx.apps.update(updated)
        _audit(
            tx,
            platform,
            "app.grant_type_changed",
            app,
            owner_id,
            resource_level=_flag(resource_level),
        )
    access.invalidate_app(client_id)
    return updated


def set_distribution(platform: Platform, owner_id: str, client_id: str, value: str) -> App:
    """Private: only the owner can consent. Sharing: anyone can (atlassian-3lo.md §8)."""
    try:
        distribution = Distribution(value)
    except ValueError:
        raise AppSettingsError("distribution must be private or sharing") from None
    with _owned(platform, owner_id, client_id, "set distribution") as (tx, app):
        if app.distribution is distribution:
            return app
        updated = replace(app, distribution=distribution)
        tx.apps.update(updated)
        _audit(
            tx, platform, "app.distribution_changed", app, owner_id, distribution=distribution.value
        )
    return updated


def delete_app(platform: Platform, owner_id: str, client_id: str) -> int:
    """Delete the app and revoke every grant of it: token families revoked, codes deleted,
    grants deleted (CA-10, DC-06). Returns how many grants were revoked."""
    with _owned(platform, owner_id, client_id, "delete") as (tx, app):
        now = platform.clock.now()
        grants = tx.grants.for_app(client_id)
        for grant in grants:
            end_grant(tx, grant, now, "app deleted")
        tx.apps.delete(client_id)
        _audit(tx, platform, "app.deleted", app, owner_id, grants_revoked=str(len(grants)))
    for grant in grants:
        access.invalidate_grant(grant.grant_id)
    access.invalidate_app(client_id)
    return len(grants)


def recent_events(
    platform: Platform, owner_id: str, client_id: str, limit: int = 20
) -> Sequence[AuditEvent]:
    get_app(platform, owner_id, client_id)
    with platform.store.reader() as tx:
        return tx.audit.recent(client_id=client_id, limit=limit)


# --- helpers ---------------------------------------------------------------------------------


@contextmanager
def _owned(
    platform: Platform, owner_id: str, client_id: str, action: str
) -> Iterator[tuple[Tx, App]]:
    """A transaction over an app the caller owns. Anyone else gets NotFound, with an audit
    event written in a transaction of its own."""
    with platform.store.transaction() as tx:
        app = tx.apps.get(client_id)
        if app is not None and app.owner_id == owner_id:
            yield tx, app
            return
    _denied(platform, owner_id, client_id, action)


def _denied(platform: Platform, account_id: str, client_id: str, action: str) -> NoReturn:
    """Record the refused attempt (DC-04), then refuse without saying whether the app exists."""
    with platform.store.transaction() as tx:
        tx.audit.add(
            AuditEvent(
                kind="app.access_denied",
                at=platform.clock.now(),
                account_id=account_id,
                client_id=client_id[:100],
                detail={"action": action},
            )
        )
    raise NotFound("no such app")


def _audit(tx: Tx, platform: Platform, kind: str, app: App, by: str, **detail: str) -> None:
    tx.audit.add(AuditEvent(kind, platform.clock.now(), by, app.client_id, detail=dict(detail)))


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _app_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise AppSettingsError("app name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise AppSettingsError(f"app name must be at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise AppSettingsError("app name must not contain control characters")
    return name
