"""Choosing a Jira site and filing incidents through the gateway, as the linked account."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threelo.sdk import ReconnectNeeded, ThreeLOError

from .pages import esc
from .state import AppState, Incident, Link
from .web import (
    app_state,
    csrf_token,
    forbidden,
    form_with_valid_csrf,
    needs_sign_in,
    page,
    reconnect_page,
    see_other,
    signed_in_user,
)

JIRA_SCOPES = ("read:jira-work", "write:jira-work")


async def _jira_sites(state: AppState, user: str) -> dict[str, str]:
    resources = await state.sdk.connection(user).accessible_resources()
    return {r.id: r.name for r in resources if any(s in r.scopes for s in JIRA_SCOPES)}


async def sites_page(request: Request) -> Response:
    user = signed_in_user(request)
    if user is None:
        return needs_sign_in(request)
    state = app_state(request)
    if user not in state.links:
        return see_other("/")
    try:
        sites = await _jira_sites(state, user)
    except ReconnectNeeded:
        return reconnect_page(request)
    except ThreeLOError:
        return page(request, "Sites", "<p>Jira could not be reached.</p>", 502)
    if not sites:
        return page(request, "Sites", "<p>No Jira site is available to this connection.</p>")
    options = "".join(
        f'<label><input type="radio" name="cloud_id" value="{esc(cid)}" required> '
        f"{esc(name)}</label>"
        for cid, name in sites.items()
    )
    form = (
        f'<form method="post" action="/sites"><input type="hidden" name="csrf" '
        f'value="{esc(csrf_token(request))}">{options}<button>Use this site</button></form>'
    )
    return page(request, "Choose a Jira site", form)


async def choose_site(request: Request) -> Response:
    form = await form_with_valid_csrf(request)
    if form is None:
        return forbidden(request)
    user = signed_in_user(request)
    state = app_state(request)
    if user is None or user not in state.links:
        return needs_sign_in(request)
    try:
        sites = await _jira_sites(state, user)
    except ReconnectNeeded:
        return reconnect_page(request)
    cloud_id = form.get("cloud_id", "")
    if cloud_id not in sites:
        return page(request, "Choose a Jira site", "<p>That site is not available.</p>", 400)
    link = state.links[user]
    link.cloud_id, link.site_name = cloud_id, sites[cloud_id]
    return see_other("/")


def _linked_site(request: Request) -> tuple[str, Link] | None:
    user = signed_in_user(request)
    link = app_state(request).links.get(user) if user else None
    if user is None or link is None or link.cloud_id is None:
        return None
    return user, link


async def incident_form(request: Request) -> Response:
    found = _linked_site(request)
    if found is None:
        return see_other("/")
    body = (
        f'<p>Filed in <b>{esc(found[1].site_name)}</b>.</p><form method="post" '
        f'action="/incidents"><input type="hidden" name="csrf" value="{esc(csrf_token(request))}">'
        '<label>Summary <input name="summary" required maxlength="200"></label>'
        '<label>What happened <textarea name="description" rows="6"></textarea></label>'
        "<button>Report incident</button></form>"
    )
    return page(request, "Report a confidential incident", body)


def _adf(text: str) -> dict[str, object]:
    """Jira REST v3 takes descriptions in the Atlassian Document Format."""
    paragraph = (
        {"type": "paragraph", "content": [{"type": "text", "text": text}]}
        if text
        else {
            "type": "paragraph",
            "content": [],
        }
    )
    return {"type": "doc", "version": 1, "content": [paragraph]}


async def report_incident(request: Request) -> Response:
    form = await form_with_valid_csrf(request)
    if form is None:
        return forbidden(request)
    found = _linked_site(request)
    summary = form.get("summary", "").strip()
    if found is None or not summary:
        return see_other("/")
    user, link = found
    state = app_state(request)
    assert link.cloud_id is not None
    connection = state.sdk.connection(user)
    try:
        projects = await connection.call("jira", link.cloud_id, "GET", "rest/api/3/project")
        keys = [p.get("key") for p in projects.json()] if projects.status_code == 200 else []
        if not keys or not isinstance(keys[0], str):
            return page(request, "Not reported", "<p>No Jira project to report to.</p>", 502)
        fields = {
            "project": {"key": keys[0]},
            "summary": summary,
            "description": _adf(form.get("description", "")),
            "issuetype": {"name": "Task"},
        }
        created = await connection.call(
            "jira", link.cloud_id, "POST", "rest/api/3/issue", json={"fields": fields}
        )
    except ReconnectNeeded:
        return reconnect_page(request)
    except (ThreeLOError, ValueError):
        return page(request, "Not reported", "<p>Jira could not be reached.</p>", 502)
    if created.status_code != 201:
        return page(request, "Not reported", "<p>Jira refused the report.</p>", 502)
    key = str(created.json().get("key", "?"))
    state.incidents.append(Incident(user, key, summary, link.site_name or link.cloud_id))
    return see_other("/")
