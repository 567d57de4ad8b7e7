"""``GET /authorize`` and ``POST /authorize/consent`` (CONTRACT §4.1, §4.3): the HTTP adapter
around :mod:`threelo.core.authorize`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threelo.core.authorize import (
    AuthorizationRequest,
    ConsentPrompt,
    Decision,
    DecisionRefused,
    RedirectTo,
    Rejection,
    carry_out,
    decide,
    error_uri,
    parse_decision,
    plan_authorization,
    validate_authorization_request,
)
from threelo.core.models import Account, Session
from threelo.web.common import (
    FormError,
    check_csrf,
    csrf_token,
    current_account,
    current_account_later,
    current_session,
    login_url,
    read_form,
    templates,
    web_context,
)
from threelo.web.common.offload import run_store
from threelo.web.front.targets import form_targets

MAX_QUERY_BYTES = 16 * 1024
CONSENT = "consent"


def authorize(request: Request) -> Response:
    if len(request.scope.get("query_string", b"")) > MAX_QUERY_BYTES:
        return templates.error(request, 414, "The authorization request is too long.")
    platform = web_context(request).platform
    with platform.store.reader() as tx:
        # The session's read goes with the app's, in one round trip.
        signed_in = current_account_later(request, tx)
        result = validate_authorization_request(
            request.query_params.multi_items(), tx.apps, platform
        )
        account = signed_in()
        plan = None
        if account is not None and isinstance(result, AuthorizationRequest):
            plan = plan_authorization(tx, platform, result, account)
    if isinstance(result, Rejection) and (result.fatal or result.redirect_uri is None):
        # RFC 6749 §4.1.2.1: unknown client or unverified redirect URI, never redirect.
        message = result.error.description or "Invalid request."
        return templates.error(request, 400, message, title="This link doesn't work")
    session = current_session(request)
    if account is None or session is None:
        # RFC 9700 §4.11.2: authenticate the user before redirecting anywhere, errors included.
        return RedirectResponse(login_url(request), status_code=303)
    if isinstance(result, Rejection):
        return _redirect(error_uri(result.redirect_uri or "", result.error, state=result.state,
                                   issuer=platform.policy.issuer))  # fmt: skip
    assert plan is not None  # a valid request from a signed-in account
    if plan.answer is not None:  # an error for the client: nothing to write
        return _redirect(plan.answer.location)
    with platform.store.transaction() as tx:
        outcome = carry_out(tx, platform, result, plan, session.digest)
    if isinstance(outcome, RedirectTo):
        return _redirect(outcome.location)
    return _consent_page(request, account, outcome)


def _consent_page(request: Request, account: Account, prompt: ConsentPrompt) -> Response:
    context = {
        "account": account,
        "app_name": prompt.request.app.name,
        "scopes": prompt.scopes,
        "sites": prompt.sites,
        "request_id": prompt.pending.request_id,
        "csrf": csrf_token(request, CONSENT, prompt.pending.request_id),
    }
    return templates.render(request, "consent.html", context,
                            form_targets=form_targets(prompt.request))  # fmt: skip


async def consent(request: Request) -> Response:
    try:
        form = await read_form(request)
    except FormError as err:
        return await run_store(web_context(request), templates.error, request, err.status,
                               err.message)  # fmt: skip
    return await run_store(web_context(request), _consent, request, form)


def _consent(request: Request, form: list[tuple[str, str]]) -> Response:
    account, session = current_account(request), current_session(request)
    if account is None or session is None:
        return templates.error(request, 403, "Your session has ended. Start again from the app.")
    decision = parse_decision(form)
    if decision is None:
        return templates.error(request, 400, "The consent form was incomplete.")
    if not check_csrf(request, form, CONSENT, decision.request_id):
        # RFC 6749 §10.12: consent needs the user's own submission of our own form.
        return templates.error(request, 403, "This form has expired. Start again from the app.")
    return _decide(request, account, session, decision)


def _decide(request: Request, account: Account, session: Session, decision: Decision) -> Response:
    platform = web_context(request).platform
    with platform.store.transaction() as tx:
        outcome = decide(tx, platform, account, session.digest, decision)
    if isinstance(outcome, DecisionRefused):
        return templates.error(request, outcome.status, outcome.message)
    return _redirect(outcome.location)


def _redirect(location: str) -> Response:
    # RFC 9700 §4.12: 303 so the browser never re-posts the form to the client.
    response = RedirectResponse(location, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def consent_method_not_allowed(request: Request) -> Response:
    """UI-04: a consent decision is only ever a POST; GET/HEAD change nothing."""
    response = templates.error(request, 405, "Use the consent page to answer this request.")
    response.headers["Allow"] = "POST"
    return response
