"""The authorization endpoint's logic (RFC 6749 §4.1.1-4.1.2), free of any web framework.

``validate_authorization_request`` runs the query pairs through small named checks and returns an
:class:`AuthorizationRequest` or a :class:`Rejection` (fatal: error page; otherwise: redirect).
``plan_authorization`` decides, from reads alone, how to answer a signed-in user's valid request
(an error, a code under remembered consent, or the consent page) and ``carry_out`` writes what
the plan needs (the code, or the pending request the consent page refers to); ``decide``
applies the user's decision on a pending request.
"""

from threelo.core.authorize.consent import SiteChoice, check_may_authorize, site_choice
from threelo.core.authorize.flow import (
    AuthorizationPlan,
    ConsentPrompt,
    Decision,
    DecisionRefused,
    RedirectTo,
    carry_out,
    decide,
    parse_decision,
    plan_authorization,
)
from threelo.core.authorize.pipeline import validate_authorization_request
from threelo.core.authorize.request import AuthorizationRequest, Params, Rejection
from threelo.core.authorize.responses import error_uri, success_uri

__all__ = [
    "AuthorizationPlan",
    "AuthorizationRequest",
    "ConsentPrompt",
    "Decision",
    "DecisionRefused",
    "Params",
    "RedirectTo",
    "Rejection",
    "SiteChoice",
    "carry_out",
    "check_may_authorize",
    "decide",
    "error_uri",
    "parse_decision",
    "plan_authorization",
    "site_choice",
    "success_uri",
    "validate_authorization_request",
]
