"""Connected apps: ``/manage-profile/apps`` (CONTRACT §6; atlassian-3lo.md §7).

A signed-in user sees every app they granted, with its sites, scopes, and when it was granted
and last used; they can revoke an app entirely or (beyond Atlassian) remove one site from its
grant. Both take effect at once for every token of the grant (GR-07).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threelo.core import grant_admin
from threelo.core.grant_admin import NotFound
from threelo.core.models import Account
from threelo.web.common import csrf_token, field, require_login, templates, web_context
from threelo.web.pages.posts import Form, form_endpoint, not_found, poster, see_other, when

PAGE = "/manage-profile/apps"
DONE = {
    "revoked": "Access revoked. The app can no longer use your account.",
    "site-removed": "The site was removed. The app can no longer reach it.",
}


def connected_apps_page(request: Request) -> Response:
    account = require_login(request)
    if not isinstance(account, Account):
        return account
    apps = grant_admin.connected_apps(web_context(request).platform, account.account_id)
    return templates.render(
        request,
        "pages/connected_apps.html",
        {
            "account": account,
            "apps": apps,
            "when": when,
            "done": DONE.get(request.query_params.get("done") or ""),
            "csrf_revoke": {
                a.client_id: csrf_token(request, "profile.revoke", a.client_id) for a in apps
            },
            "csrf_site": {
                a.client_id: csrf_token(request, "profile.remove-site", a.client_id) for a in apps
            },
        },
    )


def _revoke(request: Request, form: Form) -> Response:
    client_id = request.path_params["client_id"]
    account = poster(request, form, "profile.revoke", client_id, PAGE)
    if not isinstance(account, Account):
        return account
    try:
        grant_admin.revoke_app(web_context(request).platform, account.account_id, client_id)
    except NotFound:
        return not_found(request, "connected app")
    return see_other(f"{PAGE}?done=revoked")


def _remove_site(request: Request, form: Form) -> Response:
    client_id = request.path_params["client_id"]
    account = poster(request, form, "profile.remove-site", client_id, PAGE)
    if not isinstance(account, Account):
        return account
    cloud_id = field(form, "site") or ""
    try:
        grant_admin.remove_site(
            web_context(request).platform, account.account_id, client_id, cloud_id
        )
    except NotFound:
        return not_found(request, "connected app")
    return see_other(f"{PAGE}?done=site-removed")


revoke_app = form_endpoint(_revoke)
remove_site = form_endpoint(_remove_site)
