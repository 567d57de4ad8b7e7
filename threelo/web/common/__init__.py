"""Shared helpers for every HTML page of the auth face (login, consent, console, connected apps,
site admin). Import from here; everything touching the store is synchronous, so call it from a
sync endpoint or through ``starlette.concurrency.run_in_threadpool``.

Who is signed in
    ``current_account(request) -> Account | None`` — the active account of the session cookie.
    ``require_login(request) -> Account | RedirectResponse`` — the account, or a 303 to
    ``/login?next=<this path and query>``; return the redirect as is::

        account = require_login(request)
        if not isinstance(account, Account):
            return account

    ``current_session(request)``, ``start_session(request, response, account_id)``,
    ``end_session(request, response)`` — lower level; ``start_session`` always issues a new cookie
    value and deletes the old session (session fixation).

Forms and CSRF
    ``csrf_token(request, purpose, binding="")`` — the hidden ``csrf`` field's value for a form
    of ``purpose`` (e.g. ``"console.rotate-secret"``); ``binding`` ties it to one object (an app
    id, a pending request id).
    ``check_csrf(request, form, purpose, binding="") -> bool`` — True when the post is
    same-origin (``Origin``/``Sec-Fetch-Site``) and carries the matching token; answer 403
    otherwise and change nothing.
    ``await read_form(request) -> list[(name, value)]`` — a bounded urlencoded body (raises
    ``FormError`` with ``.status`` 413/415); ``field(form, name)`` — a single value or None when
    missing or repeated. ``safe_next(target)`` — a same-origin relative return path.
    ``client_address(request)`` — the peer address (``X-Forwarded-For`` only when trusted).

Pages
    ``templates.render(request, "page.html", {...}, status=200)`` — a Jinja2 page (autoescaped)
    extending ``base.html`` (blocks ``title``, ``content``; the layout shows the signed-in user and
    a sign-out form), sent with the security headers and ``Cache-Control: no-store``.
    ``templates.error(request, status, message, title=...)`` — the HTML error page.
    ``apply_security_headers(response, no_store=True, form_targets=())`` /
    ``security_headers(...)`` — ``X-Frame-Options: DENY``, CSP with ``frame-ancestors 'none'``
    and ``script-src 'self'``, ``Referrer-Policy: no-referrer``, ``nosniff``; removes any CORS
    header. Use it on any interactive response not rendered through ``templates``.
    Styles: ``/static/threelo.css``; no inline scripts or styles (the CSP blocks them).

Rate limits: ``threelo.web.common.ratelimit.RateLimiter`` (``ctx.limiter``).
"""

from threelo.web.common.csrf import FIELD as CSRF_FIELD
from threelo.web.common.csrf import check_csrf, csrf_token, same_origin_post
from threelo.web.common.forms import FormError, client_address, field, read_form, safe_next
from threelo.web.common.security_headers import (
    apply_security_headers,
    content_security_policy,
    origin_of,
    security_headers,
)
from threelo.web.common.sessions import (
    COOKIE_NAME,
    current_account,
    current_account_later,
    current_session,
    end_session,
    ensure_session,
    login_url,
    require_login,
    start_session,
    web_context,
)
from threelo.web.common.templates import Templates, templates

__all__ = [
    "COOKIE_NAME",
    "CSRF_FIELD",
    "FormError",
    "Templates",
    "apply_security_headers",
    "check_csrf",
    "client_address",
    "content_security_policy",
    "csrf_token",
    "current_account",
    "current_account_later",
    "current_session",
    "end_session",
    "ensure_session",
    "field",
    "login_url",
    "origin_of",
    "read_form",
    "require_login",
    "safe_next",
    "same_origin_post",
    "security_headers",
    "start_session",
    "templates",
    "web_context",
]
