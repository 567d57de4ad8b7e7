"""The people-facing pages (CONTRACT §6): developer console, connected apps, site admin.

Every page needs a signed-in user; every change is a form post with an anti-CSRF token,
answered with a 303 (PRG); every page carries the interactive-page security headers.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from threelo.web.context import WebContext
from threelo.web.pages import connected_apps, console, console_settings, site_admin

GET = ["GET", "HEAD"]
POST = ["POST"]


def routes(ctx: WebContext) -> list[BaseRoute]:
    app = "/console/apps/{client_id}"
    return [
        Route("/console", console.console_page, methods=GET),
        Route("/console/apps", console.create_app, methods=POST),
        Route(app, console.app_page, methods=GET),
        Route(f"{app}/secret", console_settings.rotate_secret, methods=POST),
        Route(f"{app}/callbacks", console_settings.set_callbacks, methods=POST),
        Route(f"{app}/scopes", console_settings.set_scopes, methods=POST),
        Route(f"{app}/client-type", console_settings.set_client_type, methods=POST),
        Route(f"{app}/grant-type", console_settings.set_grant_type, methods=POST),
        Route(f"{app}/distribution", console_settings.set_distribution, methods=POST),
        Route(f"{app}/delete", console_settings.delete_page, methods=GET),
        Route(f"{app}/delete", console_settings.delete_app, methods=POST),
        Route("/manage-profile/apps", connected_apps.connected_apps_page, methods=GET),
        Route("/manage-profile/apps/{client_id}/revoke", connected_apps.revoke_app, methods=POST),
        Route(
            "/manage-profile/apps/{client_id}/remove-site",
            connected_apps.remove_site,
            methods=POST,
        ),
        Route("/admin/sites", site_admin.sites_page, methods=GET),
        Route("/admin/sites/{cloud_id}", site_admin.site_page, methods=GET),
        Route("/admin/sites/{cloud_id}/revoke-user", site_admin.revoke_user, methods=POST),
        Route("/admin/sites/{cloud_id}/remove-app", site_admin.remove_app, methods=POST),
    ]
