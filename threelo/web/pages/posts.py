"""What every form post of these pages shares: a bounded body, a signed-in user, a valid
anti-CSRF token, and a 303 answer (PRG).

Handlers run in the thread pool (the store is synchronous). A post without a signed-in user
is sent to the login page for the page the form lives on; a post without the form's own token
(or from another site) is answered 403 and changes nothing (DC-03; OWASP CSRF Cheat Sheet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threelo.core.models import Account
from threelo.web.common import (
    FormError,
    apply_security_headers,
    check_csrf,
    current_account,
    read_form,
    templates,
)

Form = list[tuple[str, str]]
FormHandler = Callable[[Request, Form], Response]
EXPIRED_FORM = "This form has expired. Reload the page and try again."


def form_endpoint(handler: FormHandler) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that reads the posted form, then runs ``handler`` in the thread pool."""

    async def endpoint(request: Request) -> Response:
        try:
            form = await read_form(request)
        except FormError as err:
            return await run_in_threadpool(templates.error, request, err.status, err.message)
        return await run_in_threadpool(handler, request, form)

    return endpoint


def poster(
    request: Request, form: Form, purpose: str, binding: str, page: str
) -> Account | Response:
    """The signed-in account allowed to make this post, or the response refusing it."""
    account = current_account(request)
    if account is None:
        return see_other("/login?next=" + quote(page, safe=""))
    if not check_csrf(request, form, purpose, binding):
        return templates.error(request, 403, EXPIRED_FORM, title="Not saved")
    return account


def see_other(location: str) -> Response:
    """RFC 9110 §15.4.4: after a post the browser fetches ``location`` with GET."""
    return apply_security_headers(RedirectResponse(location, status_code=303))


def not_found(request: Request, what: str = "page") -> Response:
    return templates.error(
        request,
        404,
        f"There is no such {what}, or you do not have access to it.",
        title="Not found",
    )


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
