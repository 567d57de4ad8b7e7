"""The authorization endpoint's logic (RFC 6749 §4.1.1-4.1.2), free of any web framework.

``validate_authorization_request`` runs the query pairs through small named checks and returns an
:class:`AuthorizationRequest` or a :class:`Rejection` (fatal: error page; otherwise: redirect).
``begin_authorization`` answers a signed-in user's valid request (remembered consent, or a
pending request for the consent page); ``decide`` applies the user's decision on it.
"""

from threelo.core.authorize.consent import SiteChoice, check_may_authorize, site_choice
from threelo.core.authorize.flow import (
    ConsentPrompt,
    Decision,
    DecisionRefused,
    RedirectTo,
    begin_authorization,
    decide,
    parse_decision,
)
from threelo.core.authorize.pipeline import validate_authorization_request
from threelo.core.authorize.request import AuthorizationRequest, Params, Rejection
from threelo.core.authorize.responses import error_uri, success_uri

__all__ = [
    "AuthorizationRequest",
    "ConsentPrompt",
    "Decision",
    "DecisionRefused",
    "Params",
    "RedirectTo",
    "Rejection",
    "SiteChoice",
    "begin_authorization",
    "check_may_authorize",
    "decide",
    "error_uri",
    "parse_decision",
    "site_choice",
    "success_uri",
    "validate_authorization_request",
]
