"""The developer console: ``/console`` and ``/console/apps/{client_id}`` (CONTRACT §6).

Pages are rendered on the server; every change is a form post with its own anti-CSRF token bound
to the app, answered with a 303 back to the page (PRG). Refused input re-renders the page with
status 400 and a message next to the field. An app that is not the developer's answers 404, the
same as one that does not exist (DC-04).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from threelo.core import app_admin
from threelo.core.app_admin import AppSettingsError, NotFound
from threelo.core.models import Account, App, AuditEvent
from threelo.core.scopes import OFFLINE_ACCESS, ScopeCatalogue
from threelo.web.common import csrf_token, require_login, templates, web_context
from threelo.web.common import field as form_field
from threelo.web.pages import reveal
from threelo.web.pages.posts import Form, form_endpoint, not_found, poster, see_other, when

EXAMPLE_STATE = "YOUR_USER_BOUND_VALUE"
DONE = {
    "created": "App created. Copy its secret now: it is shown only once.",
    "rotated": "New secret made; the old one no longer works. Copy it now: it is shown only once.",
    "confidential": "The app is now confidential. Copy its secret now: it is shown only once.",
    "callbacks": "Callback URLs saved.",
    "scopes": "APIs and scopes saved. Users will be asked to consent again.",
    "client-type": "Client type saved.",
    "grant-type": "Access type saved.",
    "distribution": "Distribution saved.",
}
SETTING_FORMS = (
    "secret",
    "callbacks",
    "scopes",
    "client-type",
    "grant-type",
    "distribution",
    "delete",
)


@dataclass(frozen=True, slots=True)
class ScopeChoice:
    name: str
    title: str
    description: str
    checked: bool


@dataclass(frozen=True, slots=True)
class ProductChoice:
    name: str
    title: str
    scopes: tuple[ScopeChoice, ...]


@dataclass(frozen=True, slots=True)
class EventLine:
    kind: str
    at: str
    by: str
    detail: tuple[tuple[str, str], ...]


@dataclass
class AppPage:
    """What a re-render after refused input keeps: the text typed and the message."""

    errors: dict[str, str] = field(default_factory=dict)
    callbacks_text: str | None = None
    scopes: tuple[str, ...] | None = None
    done: str | None = None


# --- the app list ----------------------------------------------------------------------------


def console_page(request: Request) -> Response:
    account = require_login(request)
    if not isinstance(account, Account):
        return account
    return _list_page(request, account)


def _list_page(
    request: Request, account: Account, *, error: str = "", name: str = "", status: int = 200
) -> Response:
    platform = web_context(request).platform
    apps = app_admin.my_apps(platform, account.account_id)
    return templates.render(
        request,
        "pages/console.html",
        {
            "account": account,
            "apps": apps,
            "csrf": csrf_token(request, "console.create"),
            "error": error,
            "name": name,
            "done": "The app was deleted." if request.query_params.get("done") == "deleted" else "",
        },
        status=status,
    )


def _create(request: Request, form: Form) -> Response:
    account = poster(request, form, "console.create", "", "/console")
    if not isinstance(account, Account):
        return account
    name = form_field(form, "name") or ""
    resource_level = form_field(form, "access") == "resource"
    platform = web_context(request).platform
    try:
        app, secret = app_admin.create_app(
            platform, account.account_id, name, resource_level=resource_level
        )
    except AppSettingsError as err:
        return _list_page(request, account, error=str(err), name=name, status=400)
    response = see_other(reveal.app_path(app.client_id) + "?done=created")
    reveal.put_secret(request, response, account.account_id, app.client_id, secret)
    return response


create_app = form_endpoint(_create)


# --- one app ---------------------------------------------------------------------------------


def app_page(request: Request) -> Response:
    account = require_login(request)
    if not isinstance(account, Account):
        return account
    client_id = request.path_params["client_id"]
    try:
        app = app_admin.get_app(web_context(request).platform, account.account_id, client_id)
    except NotFound:
        return not_found(request, "app")
    shell = Response()
    secret = reveal.take_secret(request, shell, account.account_id, app)
    done = request.query_params.get("done")
    page = render_app(request, account, app, AppPage(done=done if done in DONE else None), secret)
    for cookie in shell.headers.getlist("set-cookie"):
        page.headers.append("set-cookie", cookie)
    return page


def render_app(
    request: Request,
    account: Account,
    app: App,
    state: AppPage,
    secret: str | None = None,
    status: int = 200,
) -> Response:
    ctx = web_context(request)
    platform = ctx.platform
    events = app_admin.recent_events(platform, account.account_id, app.client_id)
    chosen = set(app.scopes if state.scopes is None else state.scopes)
    context: dict[str, Any] = {
        "account": account,
        "app": app,
        "secret": secret,
        "done": DONE.get(state.done or ""),
        "errors": state.errors,
        "callbacks_text": (
            "\n".join(app.callback_urls) if state.callbacks_text is None else state.callbacks_text
        ),
        "products": product_choices(platform.catalogue, chosen),
        "authorization_url": authorization_url(ctx.settings.issuer, platform.policy.audience, app),
        "events": [event_line(e, account.account_id) for e in events],
        "csrf": {
            name: csrf_token(request, f"console.{name}", app.client_id) for name in SETTING_FORMS
        },
    }
    return templates.render(request, "pages/app.html", context, status=status)


def product_choices(catalogue: ScopeCatalogue, chosen: set[str]) -> list[ProductChoice]:
    return [
        ProductChoice(
            product.name,
            product.title,
            tuple(
                ScopeChoice(s.name, s.title, s.description, s.name in chosen)
                for s in product.scopes
            ),
        )
        for product in catalogue.products.values()
    ]


def authorization_url(issuer: str, audience: str, app: App) -> str | None:
    """The URL to send users to, as Atlassian's console offers it (atlassian-3lo.md §8)."""
    if not app.callback_urls:
        return None
    params = [
        ("audience", audience),
        ("client_id", app.client_id),
        ("scope", " ".join((*app.scopes, OFFLINE_ACCESS))),
        ("redirect_uri", app.callback_urls[0]),
        ("state", EXAMPLE_STATE),
        ("response_type", "code"),
        ("prompt", "consent"),
    ]
    return f"{issuer.rstrip('/')}/authorize?{urlencode(params, quote_via=quote)}"


def event_line(event: AuditEvent, viewer_id: str) -> EventLine:
    by = "you" if event.account_id == viewer_id else (event.account_id or "the platform")
    detail = tuple(sorted((k, v) for k, v in event.detail.items() if v))
    return EventLine(event.kind, when(event.at), by, detail)
