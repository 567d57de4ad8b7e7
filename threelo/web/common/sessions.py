"""Server-side sessions: the cookie holds a random value, the store only its digest.

Cookie ``threelo_session``: ``HttpOnly``, ``SameSite=Lax``, ``Path=/``, ``Secure`` when the
issuer is https (OWASP Session Management Cheat Sheet). Signing in always starts a new session,
so a value planted before sign-in is worthless afterwards (session fixation, UI-02).

These helpers touch the store synchronously: call them from a sync endpoint or through
``starlette.concurrency.run_in_threadpool``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threelo.core.models import Account, Session
from threelo.core.ports import Tx
from threelo.core.secret_values import digest, new_secret
from threelo.web.context import WebContext

COOKIE_NAME = "threelo_session"
_CACHE = "threelo_session"
_MAX_COOKIE_LENGTH = 128
_MISSING = object()


def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def current_session(request: Request) -> Session | None:
    """The live session named by the request's cookie, or None (looked up once per request)."""
    cached: object = getattr(request.state, _CACHE, _MISSING)
    if cached is _MISSING:
        cached = _load(request)
        setattr(request.state, _CACHE, cached)
    return cached if isinstance(cached, Session) else None


def _cookie(request: Request) -> str | None:
    value = request.cookies.get(COOKIE_NAME, "")
    if not value or len(value) > _MAX_COOKIE_LENGTH or not value.isascii():
        return None
    return value


def _load(request: Request) -> Session | None:
    value = _cookie(request)
    if value is None:
        return None
    ctx = web_context(request)
    with ctx.platform.store.reader() as reader:
        session = reader.sessions.get(digest(value))
    if session is None or session.expires_at <= ctx.platform.clock.now():
        return None
    return session


def _load_with_account(request: Request, tx: Tx) -> tuple[Session | None, Account | None]:
    """:func:`_load` and the session's account, in one read."""
    value = _cookie(request)
    if value is None:
        return None, None
    return _live(request, tx.sessions.get_with_account(digest(value)))


def _live(
    request: Request, found: tuple[Session, Account | None] | None
) -> tuple[Session | None, Account | None]:
    if found is None or found[0].expires_at <= web_context(request).platform.clock.now():
        return None, None
    return found


def current_account(request: Request, tx: Tx | None = None) -> Account | None:
    """The signed-in, active account of this request, or None.

    Session and account are read in one statement, in ``tx`` when given (so that a caller
    with a reader open adds a statement rather than a unit of work).
    """
    if tx is None:
        if getattr(request.state, _CACHE, _MISSING) is not _MISSING or _cookie(request) is None:
            session = current_session(request)
            if session is None or session.account_id is None:
                return None
        with web_context(request).platform.store.reader() as reader:
            return current_account(request, reader)
    cached: object = getattr(request.state, _CACHE, _MISSING)
    if cached is _MISSING:
        session, account = _load_with_account(request, tx)
        setattr(request.state, _CACHE, session)
    else:
        session = cached if isinstance(cached, Session) else None
        account_id = session.account_id if session is not None else None
        account = tx.accounts.get(account_id) if account_id is not None else None
    return _signed_in(session, account)


def _signed_in(session: Session | None, account: Account | None) -> Account | None:
    if session is None or session.account_id is None:
        return None
    if account is None or not account.active:  # CONTRACT §2: inactive accounts are signed out
        return None
    return account


def current_account_later(request: Request, tx: Tx) -> Callable[[], Account | None]:
    """:func:`current_account` in ``tx``, with the session's read sent along with the unit's
    next statement (``Tx.sessions.get_with_account_later``); the answer when called."""
    value = _cookie(request)
    if getattr(request.state, _CACHE, _MISSING) is not _MISSING or value is None:
        return lambda: current_account(request, tx)
    found = tx.sessions.get_with_account_later(digest(value))

    def answer() -> Account | None:
        session, account = _live(request, found())
        setattr(request.state, _CACHE, session)
        return _signed_in(session, account)

    return answer


def require_login(request: Request) -> Account | RedirectResponse:
    """The signed-in account, or a 303 to ``/login?next=<this page>`` to return it from."""
    account = current_account(request)
    if account is not None:
        return account
    return RedirectResponse(login_url(request), status_code=303)


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def start_session(request: Request, response: Response, account_id: str | None = None) -> Session:
    """Create a new session (anonymous, or signed in as ``account_id``) and set its cookie.

    Any session the request came with is deleted first: its value becomes worthless (UI-02).
    """
    ctx = web_context(request)
    now = ctx.platform.clock.now()
    value = new_secret()
    session = Session(
        digest=digest(value),
        csrf_secret=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + ctx.platform.policy.session_ttl,
        account_id=account_id,
        authenticated_at=now if account_id is not None else None,
    )
    old = current_session(request)
    with ctx.platform.store.transaction() as tx:
        if old is not None:
            tx.sessions.delete(old.digest)
        tx.sessions.add(session)
    setattr(request.state, _CACHE, session)
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=int((session.expires_at - now).total_seconds()),
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="lax",
    )
    return session


def ensure_session(request: Request, response: Response) -> Session:
    """The request's session, or a new anonymous one (forms need one for their CSRF token)."""
    return current_session(request) or start_session(request, response)


def end_session(request: Request, response: Response) -> None:
    """Delete the session from the store and clear the cookie (logout)."""
    session = current_session(request)
    if session is not None:
        with web_context(request).platform.store.transaction() as tx:
            tx.sessions.delete(session.digest)
    setattr(request.state, _CACHE, None)
    response.delete_cookie(
        COOKIE_NAME, path="/", secure=_secure(request), httponly=True, samesite="lax"
    )


def _secure(request: Request) -> bool:
    return web_context(request).settings.secure_cookies
