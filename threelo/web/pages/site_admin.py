"""Site administration (beyond Atlassian's 3LO docs, after its admin hub; atlassian-3lo.md §7).

``/admin/sites/{cloud_id}``: a site's admins see which apps reach the site for which users, and
can revoke one user's access to the site or remove an app from the site for everyone (GR-08).
Anyone else gets 404, the same answer as for a site that does not exist.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threelo.core import grant_admin
from threelo.core.grant_admin import NotFound
from threelo.core.models import Account
from threelo.web.common import csrf_token, field, require_login, templates, web_context
from threelo.web.pages.posts import Form, form_endpoint, not_found, poster, see_other, when

DONE = {
    "user-revoked": "The user's access to this site was revoked for that app.",
    "app-removed": "The app was removed from this site for everyone.",
}


def site_path(cloud_id: str) -> str:
    return f"/admin/sites/{cloud_id}"


def sites_page(request: Request) -> Response:
    account = require_login(request)
    if not isinstance(account, Account):
        return account
    sites = grant_admin.administered_sites(web_context(request).platform, account.account_id)
    return templates.render(request, "pages/sites.html", {"account": account, "sites": sites})


def site_page(request: Request) -> Response:
    account = require_login(request)
    if not isinstance(account, Account):
        return account
    cloud_id = request.path_params["cloud_id"]
    try:
        overview = grant_admin.site_overview(
            web_context(request).platform, account.account_id, cloud_id
        )
    except NotFound:
        return not_found(request, "site")
    return templates.render(
        request,
        "pages/site_admin.html",
        {
            "account": account,
            "overview": overview,
            "when": when,
            "done": DONE.get(request.query_params.get("done") or ""),
            "csrf_user": csrf_token(request, "site-admin.revoke-user", cloud_id),
            "csrf_app": csrf_token(request, "site-admin.remove-app", cloud_id),
        },
    )


def _revoke_user(request: Request, form: Form) -> Response:
    cloud_id = request.path_params["cloud_id"]
    account = poster(request, form, "site-admin.revoke-user", cloud_id, site_path(cloud_id))
    if not isinstance(account, Account):
        return account
    try:
        grant_admin.revoke_user_on_site(
            web_context(request).platform,
            account.account_id,
            cloud_id,
            field(form, "client_id") or "",
            field(form, "account_id") or "",
        )
    except NotFound:
        return not_found(request, "site")
    return see_other(f"{site_path(cloud_id)}?done=user-revoked")


def _remove_app(request: Request, form: Form) -> Response:
    cloud_id = request.path_params["cloud_id"]
    account = poster(request, form, "site-admin.remove-app", cloud_id, site_path(cloud_id))
    if not isinstance(account, Account):
        return account
    try:
        grant_admin.remove_app_from_site(
            web_context(request).platform,
            account.account_id,
            cloud_id,
            field(form, "client_id") or "",
        )
    except NotFound:
        return not_found(request, "site")
    return see_other(f"{site_path(cloud_id)}?done=app-removed")


revoke_user = form_endpoint(_revoke_user)
remove_app = form_endpoint(_remove_app)
