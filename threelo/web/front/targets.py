"""Which app origins a page's form answer may end up redirecting to (CSP ``form-action``).

Browsers apply ``form-action`` to every redirect after a form submission, so the consent form,
and the login form on its way back to ``/authorize``, must allow the verified callback's origin.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

from threelo.core.authorize import AuthorizationRequest, Rejection, validate_authorization_request
from threelo.web.common import origin_of, web_context


def form_targets(result: AuthorizationRequest | Rejection) -> tuple[str, ...]:
    redirect_uri = result.redirect_uri
    if redirect_uri is None:
        return ()
    origin = origin_of(redirect_uri)
    return (origin,) if origin else ()


def form_targets_for_next(request: Request, target: str) -> tuple[str, ...]:
    parts = urlsplit(target)
    if parts.path != "/authorize":
        return ()
    pairs = parse_qsl(parts.query, keep_blank_values=True, max_num_fields=100)
    platform = web_context(request).platform
    with platform.store.reader() as tx:
        result = validate_authorization_request(pairs, tx.apps, platform)
    return form_targets(result)
