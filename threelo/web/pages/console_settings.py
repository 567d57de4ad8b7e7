"""Changes to one app in the developer console: secret, callbacks, scopes, switches, delete.

Each is a form post with an anti-CSRF token bound to the app and answered with a 303 back to the
app's page (PRG); refused input re-renders the page with status 400 and the message. An app that
is not the developer's answers 404, the same as one that does not exist (DC-04).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from threelo.core import app_admin
from threelo.core.app_admin import AppSettingsError, NotFound
from threelo.core.models import Account
from threelo.web.common import csrf_token, require_login, templates, web_context
from threelo.web.common import field as form_field
from threelo.web.pages import reveal
from threelo.web.pages.console import AppPage, render_app
from threelo.web.pages.posts import Form, form_endpoint, not_found, poster, see_other

ChangeFn = Callable[[Request, Account, str, Form], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


def _change(name: str) -> Callable[[ChangeFn], Endpoint]:
    """Decorate ``fn(request, account, client_id, form) -> Response`` as a guarded form post
    for the setting ``name``; a foreign or unknown app answers 404."""

    def wrap(fn: ChangeFn) -> Endpoint:
        def handler(request: Request, form: Form) -> Response:
            client_id = request.path_params["client_id"]
            page = reveal.app_path(client_id)
            account = poster(request, form, f"console.{name}", client_id, page)
            if not isinstance(account, Account):
                return account
            try:
                return fn(request, account, client_id, form)
            except NotFound:
                return not_found(request, "app")

        return form_endpoint(handler)

    return wrap


def _saved(client_id: str, done: str) -> Response:
    return see_other(f"{reveal.app_path(client_id)}?done={done}")


def _refused(request: Request, account: Account, client_id: str, state: AppPage) -> Response:
    app = app_admin.get_app(web_context(request).platform, account.account_id, client_id)
    return render_app(request, account, app, state, status=400)


@_change("secret")
def rotate_secret(request: Request, account: Account, client_id: str, form: Form) -> Response:
    platform = web_context(request).platform
    try:
        secret = app_admin.rotate_secret(platform, account.account_id, client_id)
    except AppSettingsError as err:
        return _refused(request, account, client_id, AppPage(errors={"secret": str(err)}))
    response = _saved(client_id, "rotated")
    reveal.put_secret(request, response, account.account_id, client_id, secret)
    return response


@_change("callbacks")
def set_callbacks(request: Request, account: Account, client_id: str, form: Form) -> Response:
    text = form_field(form, "callback_urls") or ""
    platform = web_context(request).platform
    try:
        app_admin.set_callback_urls(platform, account.account_id, client_id, text.splitlines())
    except AppSettingsError as err:
        state = AppPage(errors={"callbacks": str(err)}, callbacks_text=text)
        return _refused(request, account, client_id, state)
    return _saved(client_id, "callbacks")


@_change("scopes")
def set_scopes(request: Request, account: Account, client_id: str, form: Form) -> Response:
    scopes = [value for key, value in form if key == "scope"]
    platform = web_context(request).platform
    try:
        app_admin.set_scopes(platform, account.account_id, client_id, scopes)
    except AppSettingsError as err:
        state = AppPage(errors={"scopes": str(err)}, scopes=tuple(scopes))
        return _refused(request, account, client_id, state)
    return _saved(client_id, "scopes")


@_change("client-type")
def set_client_type(request: Request, account: Account, client_id: str, form: Form) -> Response:
    choice = form_field(form, "client_type")
    if choice not in ("public", "confidential"):
        errors = {"client-type": "Choose public or confidential."}
        return _refused(request, account, client_id, AppPage(errors=errors))
    platform = web_context(request).platform
    _, secret = app_admin.set_public(platform, account.account_id, client_id, choice == "public")
    response = _saved(client_id, "confidential" if secret else "client-type")
    if secret is not None:
        reveal.put_secret(request, response, account.account_id, client_id, secret)
    return response


@_change("grant-type")
def set_grant_type(request: Request, account: Account, client_id: str, form: Form) -> Response:
    choice = form_field(form, "access")
    if choice not in ("account", "resource"):
        errors = {"grant-type": "Choose account-level or resource-level."}
        return _refused(request, account, client_id, AppPage(errors=errors))
    platform = web_context(request).platform
    app_admin.set_resource_level(platform, account.account_id, client_id, choice == "resource")
    return _saved(client_id, "grant-type")


@_change("distribution")
def set_distribution(request: Request, account: Account, client_id: str, form: Form) -> Response:
    platform = web_context(request).platform
    try:
        app_admin.set_distribution(
            platform, account.account_id, client_id, form_field(form, "distribution") or ""
        )
    except AppSettingsError as err:
        return _refused(request, account, client_id, AppPage(errors={"distribution": str(err)}))
    return _saved(client_id, "distribution")


def delete_page(request: Request) -> Response:
    account = require_login(request)
    if not isinstance(account, Account):
        return account
    client_id = request.path_params["client_id"]
    try:
        app = app_admin.get_app(web_context(request).platform, account.account_id, client_id)
    except NotFound:
        return not_found(request, "app")
    return templates.render(
        request,
        "pages/app_delete.html",
        {
            "account": account,
            "app": app,
            "csrf": csrf_token(request, "console.delete", app.client_id),
        },
    )


@_change("delete")
def delete_app(request: Request, account: Account, client_id: str, form: Form) -> Response:
    app_admin.delete_app(web_context(request).platform, account.account_id, client_id)
    return see_other("/console?done=deleted")
