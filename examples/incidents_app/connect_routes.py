"""Signing in to the app, and connecting the signed-in user's Jira account through the SDK."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threelo.sdk import (
    AuthorizationError,
    CallbackError,
    ThreeLOError,
    UnsafeReturnTo,
    forget_binding,
    safe_return_to,
    starlette_session,
)

from .pages import esc, post_button, sign_in_form
from .state import Link
from .unsafe import naive_authorization_url, naive_exchange
from .web import (
    app_state,
    csrf_token,
    forbidden,
    form_with_valid_csrf,
    needs_sign_in,
    page,
    see_other,
    signed_in_user,
    unsafe_mode,
)


async def home(request: Request) -> Response:
    user = signed_in_user(request)
    csrf = csrf_token(request)
    if user is None:
        return page(request, "Confidential incidents", sign_in_form(csrf))
    state = app_state(request)
    link = state.links.get(user)
    if link is None:
        body = "<p>Jira is not connected.</p>" + post_button("/connect", "Connect Jira", csrf)
    else:
        site = esc(link.site_name) if link.site_name else "no site chosen yet"
        body = (
            f'<p id="link">Connected to Jira as <b>{esc(link.name)}</b> '
            f"(account <code>{esc(link.account_id)}</code>), site: {site}.</p>"
            '<p><a href="/sites">Choose site</a> · <a href="/incidents/new">'
            "Report a confidential incident</a></p>"
            + post_button("/disconnect", "Disconnect Jira", csrf)
        )
    mine = [i for i in state.incidents if i.reporter == user]
    if mine:
        items = "".join(
            f"<li>{esc(i.key)}: {esc(i.summary)} ({esc(i.site_name)})</li>" for i in mine
        )
        body += f"<h2>Your reports</h2><ul>{items}</ul>"
    body += post_button("/logout", "Sign out", csrf)
    return page(request, "Confidential incidents", body)


async def login(request: Request) -> Response:
    form = await form_with_valid_csrf(request)
    if form is None:
        return forbidden(request)
    name, password = form.get("username", ""), form.get("password", "")
    if not app_state(request).users.verify(name, password):
        body = sign_in_form(csrf_token(request), "Wrong username or password.")
        return page(request, "Confidential incidents", body, 401)
    request.session.clear()  # a fresh session: no fixation, no flows of a previous user
    request.session["user"] = name
    return see_other("/")


async def logout(request: Request) -> Response:
    if await form_with_valid_csrf(request) is None:
        return forbidden(request)
    request.session.clear()
    return see_other("/")


# --- connecting Jira --------------------------------------------------------------------------


async def connect_page(request: Request) -> Response:
    if signed_in_user(request) is None:
        return needs_sign_in(request)
    return_to = request.query_params.get("return_to")
    hidden: dict[str, str] = {}
    if return_to is not None:
        try:
            hidden["return_to"] = safe_return_to(return_to)
        except UnsafeReturnTo:
            return page(request, "Bad link", "<p>That return address is not allowed.</p>", 400)
    body = "<p>You will be asked to allow access to your Jira site.</p>"
    return page(
        request,
        "Connect Jira",
        body + post_button("/connect", "Continue", csrf_token(request), hidden),
    )


async def connect(request: Request) -> Response:
    form = await form_with_valid_csrf(request)
    if form is None:
        return forbidden(request)
    if signed_in_user(request) is None:
        return needs_sign_in(request)
    state = app_state(request)
    if unsafe_mode(request):
        return see_other(naive_authorization_url(state.sdk.config))
    try:
        url = state.sdk.begin(starlette_session(request), return_to=form.get("return_to"))
    except UnsafeReturnTo:
        return page(request, "Bad link", "<p>That return address is not allowed.</p>", 400)
    return see_other(url)


async def callback(request: Request) -> Response:
    user = signed_in_user(request)
    if user is None:
        # SDK-02: a callback in a browser with no signed-in user never reaches the token endpoint
        return needs_sign_in(request)
    state = app_state(request)
    try:
        if unsafe_mode(request):
            tokens = await naive_exchange(state.http, state.sdk.config, str(request.url))
            state.sdk.token_store.put(user, tokens)
            return_to = None
        else:
            result = await state.sdk.complete(
                starlette_session(request), str(request.url), token_key=user
            )
            return_to = result.return_to
        me = await state.sdk.connection(user).me()
    except AuthorizationError as exc:
        body = (
            f"<p>Jira access was not granted ({esc(exc.error)}).</p>"
            f'<p class="muted">{esc(exc.description or "")}</p>'
        )
        return page(request, "Not connected", body, 400)
    except CallbackError:
        body = (
            "<p>This sign-in link was not started from this browser session, was already used, "
            "or has expired. Nothing was connected.</p>"
        )
        return page(request, "Link refused", body, 400)
    except ThreeLOError:
        return page(request, "Not connected", "<p>Jira could not be reached. Try again.</p>", 502)
    # SDK-13: link the account to the user of *this* session, by account id, never by e-mail
    state.links[user] = Link(account_id=str(me.get("account_id")), name=str(me.get("name")))
    return see_other(return_to or "/sites")  # SDK-11: away from the URL holding the code


async def disconnect(request: Request) -> Response:
    if await form_with_valid_csrf(request) is None:
        return forbidden(request)
    user = signed_in_user(request)
    if user is not None:
        state = app_state(request)
        state.links.pop(user, None)
        state.sdk.disconnect(user)
        forget_binding(starlette_session(request))
    return see_other("/")
