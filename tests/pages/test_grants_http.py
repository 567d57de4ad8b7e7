"""Connected apps and site administration over HTTP: revocations take effect at once for every
token (GR-07, GR-08), a site drops out of reach alone, and non-admins see nothing (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threelo.core.models import App

from .client import SyncClient
from .conftest import World
from .helpers import bearer, consent, exchange, post_form, refresh

Browser = Callable[[str | None], SyncClient]
PROFILE = "/manage-profile/apps"


def tokens(client: SyncClient, app: App, secret: str, scope: str, *sites: str) -> dict[str, Any]:
    answer = exchange(client, app, secret, consent(client, app, scope, *sites))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def project_status(client: SyncClient, token: str, cloud_id: str) -> int:
    return client.get(f"/ex/jira/{cloud_id}/rest/api/3/project", headers=bearer(token)).status_code


def test_connected_apps_show_sites_scopes_and_times(browser_for: Browser, world: World) -> None:
    app, secret = world.app("Reporter", "read:me read:jira-work")
    edward = browser_for("edward")
    tokens(edward, app, secret, "read:me read:jira-work", world.sites["S1"].cloud_id)
    page = edward.get(PROFILE)
    assert page.status_code == 200
    for text in (
        "Reporter",
        "S1",
        "https://s1.atlassian.example",
        "View Jira issue data",
        "View active user profile",
        "Granted ",
        "last used ",
    ):
        assert text in page.text, text
    # The site edward did not grant, by its id and its address: the bare name "S2" can turn up
    # inside a random token on the page.
    s2 = world.sites["S2"]
    assert s2.cloud_id not in page.text and s2.url not in page.text
    assert "Reporter" not in browser_for("mallory").get(PROFILE).text


def test_revoking_an_app_kills_its_tokens_at_once(browser_for: Browser, world: World) -> None:
    app, secret = world.app("A", "read:me read:jira-work")
    edward = browser_for("edward")
    s1 = world.sites["S1"].cloud_id
    got = tokens(edward, app, secret, "read:me read:jira-work offline_access", s1)
    unredeemed = consent(edward, app, "read:me read:jira-work", s1)
    assert edward.get("/me", headers=bearer(got["access_token"])).status_code == 200
    action = f"{PROFILE}/{app.client_id}/revoke"
    answer = post_form(edward, PROFILE, action)
    assert answer.status_code == 303 and answer.headers["location"] == f"{PROFILE}?done=revoked"
    assert edward.get("/me", headers=bearer(got["access_token"])).status_code == 401
    assert project_status(edward, got["access_token"], s1) == 401
    assert (
        edward.get(
            "/oauth/token/accessible-resources", headers=bearer(got["access_token"])
        ).status_code
        == 401
    )
    assert refresh(edward, app, secret, got["refresh_token"]).status_code == 403
    assert exchange(edward, app, secret, unredeemed).status_code == 403
    assert "You have not connected any app." in edward.get(PROFILE).text
    assert "grant.revoked" in world.audit_kinds(client_id=app.client_id)
    # GR-10: a new consent starts afresh; the old refresh token stays dead.
    fresh = tokens(edward, app, secret, "read:me offline_access")
    assert edward.get("/me", headers=bearer(fresh["access_token"])).status_code == 200
    assert refresh(edward, app, secret, got["refresh_token"]).status_code == 403


def test_removing_one_site_stops_only_that_site(browser_for: Browser, world: World) -> None:
    app, secret = world.app("A", "read:jira-work")
    edward = browser_for("edward")
    s1, s2 = world.sites["S1"].cloud_id, world.sites["S2"].cloud_id
    got = tokens(edward, app, secret, "read:jira-work offline_access", s1, s2)
    assert project_status(edward, got["access_token"], s1) == 200
    action = f"{PROFILE}/{app.client_id}/remove-site"
    answer = post_form(edward, PROFILE, action, site=s1)
    assert answer.status_code == 303
    assert project_status(edward, got["access_token"], s1) == 404
    assert project_status(edward, got["access_token"], s2) == 200
    renewed = refresh(edward, app, secret, got["refresh_token"]).json()
    assert project_status(edward, renewed["access_token"], s1) == 404
    assert project_status(edward, renewed["access_token"], s2) == 200
    assert "grant.site_removed" in world.audit_kinds(client_id=app.client_id)
    # The last site goes too: the grant stays (pinned), reaching no site.
    assert post_form(edward, PROFILE, action, site=s2).status_code == 303
    assert project_status(edward, renewed["access_token"], s2) == 404
    listed = edward.get(
        "/oauth/token/accessible-resources", headers=bearer(renewed["access_token"])
    )
    assert listed.status_code == 200 and listed.json() == []


def test_a_user_cannot_touch_another_users_grant(browser_for: Browser, world: World) -> None:
    app, secret = world.app("A", "read:me")
    edward, mallory = browser_for("edward"), browser_for("mallory")
    got = tokens(edward, app, secret, "read:me")
    from threelo.core.secret_values import digest
    from threelo.web.common.csrf import derive_token

    with world.store.reader() as tx:
        session = tx.sessions.get(digest(mallory.cookies.get("threelo_session") or ""))
    assert session is not None
    token = derive_token(session, "profile.revoke", app.client_id)
    answer = mallory.post(f"{PROFILE}/{app.client_id}/revoke", data={"csrf": token})
    assert answer.status_code == 404
    assert edward.get("/me", headers=bearer(got["access_token"])).status_code == 200


def test_site_admin_page_is_404_for_non_admins(browser_for: Browser, world: World) -> None:
    app, secret = world.app("A", "read:jira-work")
    edward = browser_for("edward")
    tokens(edward, app, secret, "read:jira-work", world.sites["S1"].cloud_id)
    s1 = world.sites["S1"].cloud_id
    missing = edward.get("/admin/sites/00000000-0000-0000-0000-000000000000")
    for name in ("edward", "mallory", "dev"):
        answer = browser_for(name).get(f"/admin/sites/{s1}")
        assert answer.status_code == 404, name
        assert "Edward" not in answer.text.split("</header>", 1)[1]
        assert answer.text.split("</header>", 1)[1] == missing.text.split("</header>", 1)[1]
    page = browser_for("alice").get(f"/admin/sites/{s1}")
    assert page.status_code == 200 and "Edward" in page.text and "edward@example.test" in page.text
    listing = browser_for("alice").get("/admin/sites")
    assert f"/admin/sites/{s1}" in listing.text


def test_site_admin_revokes_one_users_access_to_the_site(
    browser_for: Browser, world: World
) -> None:
    app, secret = world.app("A", "read:jira-work")
    edward, alice = browser_for("edward"), browser_for("alice")
    s1, s2 = world.sites["S1"].cloud_id, world.sites["S2"].cloud_id
    got = tokens(edward, app, secret, "read:jira-work", s1, s2)
    mine = tokens(alice, app, secret, "read:jira-work", s1)
    page = f"/admin/sites/{s1}"
    answer = post_form(alice, page, f"{page}/revoke-user", account_id=world.accounts["edward"])
    assert answer.status_code == 303
    assert project_status(edward, got["access_token"], s1) == 404
    assert project_status(edward, got["access_token"], s2) == 200
    assert project_status(alice, mine["access_token"], s1) == 200
    assert "grant.site_revoked_by_admin" in world.audit_kinds(client_id=app.client_id)


def test_site_admin_removes_an_app_from_the_site_for_everyone(
    browser_for: Browser, world: World
) -> None:
    app, secret = world.app("A", "read:jira-work")
    other, other_secret = world.app("B", "read:jira-work")
    edward, alice = browser_for("edward"), browser_for("alice")
    s1, s2 = world.sites["S1"].cloud_id, world.sites["S2"].cloud_id
    got = tokens(edward, app, secret, "read:jira-work offline_access", s1, s2)
    mine = tokens(alice, app, secret, "read:jira-work", s1)
    kept = tokens(edward, other, other_secret, "read:jira-work", s1)
    page = f"/admin/sites/{s1}"
    answer = post_form(alice, page, f"{page}/remove-app", client_id=app.client_id)
    assert answer.status_code == 303
    assert project_status(edward, got["access_token"], s1) == 404
    assert project_status(alice, mine["access_token"], s1) == 404
    assert project_status(edward, got["access_token"], s2) == 200
    assert project_status(edward, kept["access_token"], s1) == 200
    renewed = refresh(edward, app, secret, got["refresh_token"]).json()
    assert project_status(edward, renewed["access_token"], s1) == 404
    assert "app.removed_from_site" in world.audit_kinds(client_id=app.client_id)
    assert "B" in alice.get(page).text and ">A<" not in alice.get(page).text
