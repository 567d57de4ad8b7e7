"""The checks an authorization request goes through, one small function each.

Order matters: the client and its redirect URI are verified first, and a failure there is fatal
(an error page, never a redirect: RFC 6749 §3.1.2.4, §4.1.2.1; RFC 9700 §4.11.2). Every later
failure is sent back to the verified redirect URI.
"""

from __future__ import annotations

import re

from threelo.core.authorize.request import Params
from threelo.core.callback_urls import matches_registered
from threelo.core.errors import (
    BadRedirectUri,
    FatalAuthorizationError,
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnknownClient,
    UnsupportedResponseType,
)
from threelo.core.models import App
from threelo.core.policy import Policy
from threelo.core.ports import AppRepo
from threelo.core.scopes import OFFLINE_ACCESS, ScopeCatalogue, parse_scope

FATAL_PARAMETERS = ("client_id", "redirect_uri")
MAX_CLIENT_ID_LENGTH = 200
PROMPT_VALUES = frozenset({"none", "consent", "login"})
_CLIENT_ID = re.compile(r"[\x21-\x7e]+")
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # RFC 7636 §4.2: BASE64URL(SHA256), no padding


class RepeatedParameter(FatalAuthorizationError):
    code = "invalid_request"


class RequestNotSupported(OAuthError):
    code = "request_not_supported"


def check_no_repeated_fatal_params(params: Params) -> None:
    """RFC 6749 §3.1: no parameter more than once; for these two we can't even pick a target."""
    for name in FATAL_PARAMETERS:
        if params.repeated(name):
            raise RepeatedParameter(f"The {name} parameter was sent more than once.")


def check_client(params: Params, apps: AppRepo) -> App:
    client_id = params.get("client_id")
    if client_id is None:
        raise UnknownClient("The request has no client_id.")
    # Never hand odd bytes (NUL, control characters) to the database (PH-09).
    if len(client_id) > MAX_CLIENT_ID_LENGTH or _CLIENT_ID.fullmatch(client_id) is None:
        raise UnknownClient("The app that sent you here is not known.")
    app = apps.get(client_id)
    if app is None:
        raise UnknownClient("The app that sent you here is not known.")
    return app


def check_redirect_uri(params: Params, app: App) -> str:
    """RFC 9700 §4.1.3: exact string match; the redirect URI is required (RFC 6749 §3.1.2.3)."""
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        raise BadRedirectUri("The request has no redirect_uri.")
    if matches_registered(app.callback_urls, redirect_uri) is None:
        raise BadRedirectUri(
            "The app's callback URL is invalid. Contact the app developer to fix the redirect "
            "URL in the app's settings."
        )
    return redirect_uri


def check_state(params: Params) -> str | None:
    """The state is echoed byte for byte, so it must be a single clean value (RFC 6749 §10.14)."""
    if params.repeated("state"):
        return None
    state = params.get("state")
    if state is not None and not _is_clean(state):
        raise InvalidRequest("The state parameter contains characters that are not allowed.")
    return state


def check_no_repeated_params(params: Params) -> None:
    """RFC 6749 §3.1 and §4.1.2.1: a repeated parameter makes the request invalid (PH-05)."""
    for name in sorted(params.values):
        if params.repeated(name):
            raise InvalidRequest(f"The {name} parameter was sent more than once.")


def check_request_object(params: Params) -> None:
    """Request objects (RFC 9101) are not supported: refuse them rather than half-process them."""
    for name in ("request", "request_uri"):
        if params.get(name) is not None:
            raise RequestNotSupported(f"The {name} parameter is not supported.")


def check_response_type(params: Params) -> None:
    """Only the code flow exists here (RFC 9700 §2.1.2: no implicit grant)."""
    response_type = params.get("response_type")
    if response_type is None:
        raise InvalidRequest("The response_type parameter is required.")
    if response_type != "code":
        raise UnsupportedResponseType("Only response_type=code is supported.")


def check_audience(params: Params, policy: Policy) -> None:
    audience = params.get("audience")
    if audience is not None and audience != policy.audience:
        raise InvalidRequest(f"The audience must be {policy.audience}.")


def check_scope(params: Params, app: App, catalogue: ScopeCatalogue) -> tuple[str, ...]:
    """Every scope must be registered on the app (or be offline_access) (RFC 6749 §3.3)."""
    scopes = parse_scope(params.get("scope") or "")
    if not scopes:
        raise InvalidScope("This app has not requested any supported scopes.")
    allowed = set(app.scopes)
    for scope in scopes:
        if scope != OFFLINE_ACCESS and (scope not in allowed or not catalogue.known(scope)):
            raise InvalidScope("The app requested a scope it is not registered for.")
    return scopes


def check_pkce(params: Params, app: App) -> str | None:
    """S256 only (RFC 9700 §2.1.1; RFC 7636 §4.2-4.3); public clients must use it (RFC 7636
    §4.4.1)."""
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method was sent without a code_challenge.")
        if app.public:
            raise InvalidRequest("PKCE is required: send code_challenge with method S256.")
        return None
    if method is None:
        # RFC 7636 §4.3 would default to "plain", which is refused.
        raise InvalidRequest("code_challenge_method=S256 is required with a code_challenge.")
    if method != "S256":
        raise InvalidRequest("Only code_challenge_method=S256 is supported.")
    if _S256_CHALLENGE.fullmatch(challenge) is None:
        raise InvalidRequest("The code_challenge must be 43 characters of base64url.")
    return challenge


def check_prompt(params: Params) -> frozenset[str]:
    values = frozenset((params.get("prompt") or "").split())
    if not values <= PROMPT_VALUES:
        raise InvalidRequest("The prompt parameter must be none, consent or login.")
    if "none" in values and len(values) > 1:
        raise InvalidRequest("prompt=none can't be combined with other values.")
    return values


def _is_clean(value: str) -> bool:
    """No NUL and nothing that can't be encoded as UTF-8 (lone surrogates)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
