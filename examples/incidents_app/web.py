"""Request helpers shared by the incidents app's routes: session user, anti-CSRF, pages."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .pages import SECURITY_HEADERS, post_button, render, sign_in_form
from .state import AppState


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.incidents
    return state


def unsafe_mode(request: Request) -> bool:
    return app_state(request).settings.unsafe_skip_state_check


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def form_with_valid_csrf(request: Request) -> dict[str, str] | None:
    form = await request.form()
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        return None
    if not secrets.compare_digest(sent, expected):
        return None
    return {k: v for k, v in form.items() if isinstance(v, str)}


def signed_in_user(request: Request) -> str | None:
    user = request.session.get("user")
    return user if isinstance(user, str) else None


def page(request: Request, title: str, body: str, status: int = 200) -> Response:
    return render(
        title, body, unsafe=unsafe_mode(request), user=signed_in_user(request), status=status
    )


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def forbidden(request: Request) -> Response:
    return page(request, "Request refused", "<p>The form expired. Go back and try again.</p>", 403)


def needs_sign_in(request: Request) -> Response:
    return page(request, "Sign in first", sign_in_form(csrf_token(request)), 401)


def reconnect_page(request: Request) -> Response:
    body = "<p>Your Jira connection has expired or was revoked.</p>"
    body += post_button("/connect", "Connect Jira again", csrf_token(request))
    return page(request, "Connect Jira again", body, 409)
