"""``validate_authorization_request``: the checks run in order over plain query pairs."""

from __future__ import annotations

from collections.abc import Iterable

from threelo.core.authorize.checks import (
    check_audience,
    check_client,
    check_no_repeated_fatal_params,
    check_no_repeated_params,
    check_pkce,
    check_prompt,
    check_redirect_uri,
    check_request_object,
    check_response_type,
    check_scope,
    check_state,
)
from threelo.core.authorize.request import AuthorizationRequest, Params, Rejection
from threelo.core.errors import FatalAuthorizationError, OAuthError
from threelo.core.platform import Platform
from threelo.core.ports import AppRepo


def validate_authorization_request(
    pairs: Iterable[tuple[str, str]], apps: AppRepo, platform: Platform
) -> AuthorizationRequest | Rejection:
    params = Params.from_pairs(pairs)
    try:
        check_no_repeated_fatal_params(params)
        app = check_client(params, apps)
        redirect_uri = check_redirect_uri(params, app)
    except FatalAuthorizationError as error:
        return Rejection(error)
    state: str | None = None
    try:
        state = check_state(params)
        check_no_repeated_params(params)
        check_request_object(params)
        check_response_type(params)
        check_audience(params, platform.policy)
        scopes = check_scope(params, app, platform.catalogue)
        code_challenge = check_pkce(params, app)
        prompt = check_prompt(params)
    except OAuthError as error:
        return Rejection(error, redirect_uri, state)
    return AuthorizationRequest(
        app=app,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        code_challenge=code_challenge,
        prompt=prompt,
    )
