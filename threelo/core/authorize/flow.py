"""The authorization flow once the user is signed in: answer at once, or ask, then decide.

The consent decision is taken from the stored pending request bound to the user's session, never
from posted copies of its fields (UI-05; Spring Security OAuth CVE-2018-15758).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from threelo.core.authorize.consent import (
    SiteChoice,
    check_may_authorize,
    remembered_sites,
    site_choice,
)
from threelo.core.authorize.grants import issue_code, record_consent
from threelo.core.authorize.request import AuthorizationRequest
from threelo.core.authorize.responses import error_uri, success_uri
from threelo.core.callback_urls import matches_registered
from threelo.core.errors import USER_DENIED, AccessDenied, ConsentRequired, OAuthError
from threelo.core.models import Account, AuditEvent, Grant, PendingAuthorization
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.scopes import Scope
from threelo.core.secret_values import equal, new_id

EXPIRED_REQUEST = "This authorization request has expired or belongs to another session."
BAD_SITES = "Choose one or more of the sites offered on the consent page."


@dataclass(frozen=True, slots=True)
class RedirectTo:
    location: str


@dataclass(frozen=True, slots=True)
class ConsentPrompt:
    """What the consent page shows; ``pending`` is the stored request the form refers to."""

    pending: PendingAuthorization
    request: AuthorizationRequest
    scopes: tuple[Scope, ...]
    sites: SiteChoice


@dataclass(frozen=True, slots=True)
class DecisionRefused:
    """An invalid submission: an error page, and nothing granted."""

    message: str
    status: int = 400


@dataclass(frozen=True, slots=True)
class Decision:
    request_id: str
    allow: bool
    sites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuthorizationPlan:
    """What a signed-in user's valid request needs, decided from reads alone: an answer that
    writes nothing (an error redirect), a code under remembered consent, or the consent page.

    Deciding before writing lets the web layer read in a reader and keep the write (one code or
    one pending request) in a short unit of work. What the plan relied on is checked again
    where it matters, when the code is redeemed (the grant, the account), exactly as it is for
    any code issued minutes before it is used.
    """

    answer: RedirectTo | None = None
    grant: Grant | None = None
    sites: frozenset[str] = frozenset()
    choice: SiteChoice | None = None


def plan_authorization(
    tx: Tx, platform: Platform, request: AuthorizationRequest, account: Account
) -> AuthorizationPlan:
    try:
        check_may_authorize(request.app, account)
    except OAuthError as error:
        return AuthorizationPlan(answer=_error(platform, request, error))
    # The grant's read goes with the sites' read, in one round trip.
    found = (
        None
        if request.forces_consent
        else tx.grants.find_later(request.client_id, account.account_id)
    )
    choice = site_choice(tx, platform.catalogue, request.app, account, request.scopes)
    if found is not None:
        grant = found()
        sites = remembered_sites(grant, request.app, request.scopes, choice)
        if grant is not None and sites is not None:
            return AuthorizationPlan(grant=grant, sites=sites)
    if request.silent:
        # OpenID Connect Core §3.1.2.6: prompt=none and the user would have to be asked.
        refusal = ConsentRequired("The user has not granted this access.")
        return AuthorizationPlan(answer=_error(platform, request, refusal))
    return AuthorizationPlan(choice=choice)


def carry_out(
    tx: Tx,
    platform: Platform,
    request: AuthorizationRequest,
    plan: AuthorizationPlan,
    session_digest: str,
) -> RedirectTo | ConsentPrompt:
    """Write what ``plan`` needs: a code, or the pending request the consent page refers to."""
    if plan.answer is not None:
        return plan.answer
    if plan.grant is not None:
        code = issue_code(tx, platform, request, plan.grant, plan.sites)
        return _success(platform, request, code)
    assert plan.choice is not None
    pending = _pending(platform, request, session_digest)
    tx.pending.add(pending)
    scopes = tuple(platform.catalogue.describe(request.scopes))
    return ConsentPrompt(pending, request, scopes, plan.choice)


def parse_decision(form: Iterable[tuple[str, str]]) -> Decision | None:
    """The posted decision; None when it is malformed (missing or repeated fields)."""
    fields: dict[str, list[str]] = {"request": [], "decision": [], "site": []}
    for name, value in form:
        if name in fields:
            fields[name].append(value)
    requests, decisions = fields["request"], fields["decision"]
    if len(requests) != 1 or not requests[0] or len(decisions) != 1:
        return None
    if decisions[0] not in ("allow", "deny"):
        return None
    return Decision(requests[0], decisions[0] == "allow", tuple(fields["site"]))


def decide(
    tx: Tx, platform: Platform, account: Account, session_digest: str, decision: Decision
) -> RedirectTo | DecisionRefused:
    pending = _own_pending(tx, platform, decision.request_id, session_digest)
    request = _restore(tx, pending) if pending is not None else None
    if pending is None or request is None:
        return DecisionRefused(EXPIRED_REQUEST)
    try:
        check_may_authorize(request.app, account)
    except OAuthError as error:
        tx.pending.delete(pending.request_id)
        return _error(platform, request, error)
    if not decision.allow:
        return _deny(tx, platform, request, account, pending)
    choice = site_choice(tx, platform.catalogue, request.app, account, request.scopes)
    sites = chosen_sites(decision.sites, choice)
    if sites is None:
        return DecisionRefused(BAD_SITES)
    if not tx.pending.delete(pending.request_id):  # single use: a concurrent decision won
        return DecisionRefused(EXPIRED_REQUEST)
    grant = record_consent(tx, platform, request, account, sites)
    code = issue_code(tx, platform, request, grant, sites)
    return _success(platform, request, code)


def chosen_sites(posted: tuple[str, ...], choice: SiteChoice) -> frozenset[str] | None:
    """The posted sites when every one is offered to this user exactly once (GR-01)."""
    chosen = frozenset(posted)
    if len(chosen) != len(posted) or not chosen <= choice.eligible_ids:
        return None
    if choice.needs_site != bool(chosen):
        return None
    return chosen


def _own_pending(
    tx: Tx, platform: Platform, request_id: str, session_digest: str
) -> PendingAuthorization | None:
    if len(request_id) > 128 or not request_id.isascii() or not request_id.isalnum():
        return None
    pending = tx.pending.get(request_id)
    if pending is None or pending.expires_at <= platform.clock.now():
        return None
    if not equal(pending.session_digest, session_digest):  # GR-03: bound to its session
        return None
    return pending


def _restore(tx: Tx, pending: PendingAuthorization) -> AuthorizationRequest | None:
    app = tx.apps.get(pending.client_id)
    if app is None or matches_registered(app.callback_urls, pending.redirect_uri) is None:
        return None
    return AuthorizationRequest(
        app=app,
        redirect_uri=pending.redirect_uri,
        scopes=pending.scopes,
        state=pending.state,
        code_challenge=pending.code_challenge,
        prompt=frozenset((pending.prompt or "").split()),
    )


def _pending(
    platform: Platform, request: AuthorizationRequest, session_digest: str
) -> PendingAuthorization:
    now = platform.clock.now()
    return PendingAuthorization(
        request_id=new_id(),
        session_digest=session_digest,
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        scopes=request.scopes,
        state=request.state,
        code_challenge=request.code_challenge,
        prompt=" ".join(sorted(request.prompt)) or None,
        created_at=now,
        expires_at=now + platform.policy.pending_ttl,
    )


def _deny(
    tx: Tx,
    platform: Platform,
    request: AuthorizationRequest,
    account: Account,
    pending: PendingAuthorization,
) -> RedirectTo | DecisionRefused:
    if not tx.pending.delete(pending.request_id):
        return DecisionRefused(EXPIRED_REQUEST)
    tx.audit.add(
        AuditEvent("consent.denied", platform.clock.now(), account.account_id, request.client_id)
    )
    return _error(platform, request, AccessDenied(USER_DENIED))  # RFC 6749 §4.1.2.1


def _success(platform: Platform, request: AuthorizationRequest, code: str) -> RedirectTo:
    return RedirectTo(
        success_uri(
            request.redirect_uri, code=code, state=request.state, issuer=platform.policy.issuer
        )
    )


def _error(platform: Platform, request: AuthorizationRequest, error: OAuthError) -> RedirectTo:
    return RedirectTo(
        error_uri(request.redirect_uri, error, state=request.state, issuer=platform.policy.issuer)
    )
