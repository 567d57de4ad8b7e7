"""``GET /login``, ``POST /login``, ``POST /logout`` (CONTRACT §4.2).

Failures answer the same generic message and status whether the e-mail is unknown or the password
wrong, and take about as long (PH-13). Failures are throttled per account and address, and per
address alone (RFC 6819 §4.4.3.6): over the limit, 429 with ``Retry-After``, time-boxed.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threelo.core import passwords
from threelo.core.models import Account, AuditEvent
from threelo.web.common import (
    FormError,
    check_csrf,
    client_address,
    csrf_token,
    end_session,
    ensure_session,
    field,
    read_form,
    safe_next,
    start_session,
    templates,
    web_context,
)
from threelo.web.front.targets import form_targets_for_next

LOGIN_FAILED = "Incorrect e-mail address or password."
EXPIRED_FORM = "This form has expired. Reload the page and try again."
ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW = 5, 50, 15 * 60
MAX_EMAIL, MAX_PASSWORD = 254, 1024


@dataclass(frozen=True, slots=True)
class Credentials:
    email: str
    password: str
    next: str


def login_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    response = Response()
    ensure_session(request, response)
    page = _form(request, target, "", "", 200)
    for cookie in response.headers.getlist("set-cookie"):
        page.headers.append("set-cookie", cookie)
    return page


async def login_submit(request: Request) -> Response:
    try:
        form = await read_form(request)
    except FormError as err:
        return await run_in_threadpool(templates.error, request, err.status, err.message)
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: list[tuple[str, str]]) -> Response:
    if not check_csrf(request, form, "login"):
        # UI-01: login CSRF would sign the victim into the attacker's account.
        return templates.error(request, 403, EXPIRED_FORM)
    creds = Credentials(
        (field(form, "email") or "").strip(),
        field(form, "password") or "",
        safe_next(field(form, "next")),
    )
    address = client_address(request)
    throttled = _throttled(request, creds.email, address)
    if throttled is not None:
        return throttled
    account = _authenticate(request, creds)
    if account is None:
        _count_failure(request, creds.email, address)
        return _form(request, creds.next, creds.email, LOGIN_FAILED, 401)
    web_context(request).limiter.reset(_account_key(creds.email, address))
    response = RedirectResponse(creds.next, status_code=303)  # RFC 9700 §4.12: never 307
    start_session(request, response, account.account_id)
    _audit(request, "signin.succeeded", account.account_id, address)
    return response


def _authenticate(request: Request, creds: Credentials) -> Account | None:
    account = _lookup(request, creds.email)
    if account is None or len(creds.password) > MAX_PASSWORD:
        passwords.burn_time(creds.password[:MAX_PASSWORD])
        _audit(request, "signin.failed", None, client_address(request), reason="unknown account")
        return None
    ok = passwords.verify_password(account.password_hash, creds.password)
    if not ok or not account.active:
        reason = "wrong password" if not ok else "inactive account"
        _audit(request, "signin.failed", account.account_id, client_address(request), reason=reason)
        return None
    return account


def _lookup(request: Request, email: str) -> Account | None:
    if not email or len(email) > MAX_EMAIL or not email.isprintable():
        return None
    with web_context(request).platform.store.reader() as tx:
        return tx.accounts.get_by_email(email)


def _throttled(request: Request, email: str, address: str) -> Response | None:
    limiter = web_context(request).limiter
    for key, limit in ((_account_key(email, address), ACCOUNT_LIMIT),
                       (f"login:addr:{address}", ADDRESS_LIMIT)):  # fmt: skip
        # Blocked once ``limit`` failures are counted in the window.
        decision = limiter.peek(key, limit - 1, WINDOW)
        if not decision.allowed:
            message = "Too many failed sign-in attempts. Wait a few minutes and try again."
            headers = {"Retry-After": str(max(1, decision.retry_after))}
            return templates.error(request, 429, message, title="Slow down", headers=headers)
    return None


def _count_failure(request: Request, email: str, address: str) -> None:
    limiter = web_context(request).limiter
    limiter.hit(_account_key(email, address), ACCOUNT_LIMIT, WINDOW)
    limiter.hit(f"login:addr:{address}", ADDRESS_LIMIT, WINDOW)


def _account_key(email: str, address: str) -> str:
    return f"login:acct:{email.casefold()[:MAX_EMAIL]}:{address}"


def _form(request: Request, target: str, email: str, message: str, status: int) -> Response:
    context = {"csrf": csrf_token(request, "login"), "next": target,
               "email": email[:MAX_EMAIL], "message": message}  # fmt: skip
    return templates.render(request, "login.html", context, status=status,
                            form_targets=form_targets_for_next(request, target))  # fmt: skip


def _audit(
    request: Request, kind: str, account_id: str | None, address: str, **detail: str
) -> None:
    ctx = web_context(request)
    with ctx.platform.store.transaction() as tx:
        tx.audit.add(AuditEvent(kind, ctx.platform.clock.now(), account_id,
                                detail={"address": address, **detail}))  # fmt: skip


async def logout(request: Request) -> Response:
    try:
        form = await read_form(request)
    except FormError as err:
        return await run_in_threadpool(templates.error, request, err.status, err.message)
    return await run_in_threadpool(_logout, request, form)


def _logout(request: Request, form: list[tuple[str, str]]) -> Response:
    if not check_csrf(request, form, "logout"):
        return templates.error(request, 403, EXPIRED_FORM)
    response = RedirectResponse("/login", status_code=303)
    end_session(request, response)
    return response
