"""threelo's client SDK: the OAuth 2.0 authorization code flow for apps, done safely.

Works against threelo and, with the default URLs, against Atlassian (auth.atlassian.com and
api.atlassian.com). Depends on ``httpx`` only.

    config = ClientConfig(client_id=..., client_secret=..., callback_url=..., scopes=[...])
    client = ThreeLOClient(config, token_store=SqliteTokenStore("tokens.db"))
    url = client.begin(request.session, return_to="/reports")      # redirect the browser here
    result = client.complete(request.session, str(request.url), token_key=user_id)
    sites = client.connection(user_id).accessible_resources()
"""

from .async_client import AsyncConnection, AsyncThreeLOClient
from .authorization import Authorization
from .client import Connection, ThreeLOClient
from .config import ATLASSIAN_API_URL, ATLASSIAN_AUTH_URL, ClientConfig, Clock
from .errors import (
    ApiError,
    AuthorizationDenied,
    AuthorizationError,
    CallbackError,
    InvalidTokenResponse,
    IssuerMismatch,
    MalformedCallback,
    NetworkError,
    ReconnectNeeded,
    StateMismatch,
    ThreeLOError,
    TokenEndpointError,
    UnsafeReturnTo,
)
from .flow_store import FlowStore, MemoryFlowStore, PendingFlow
from .resources import AccessibleResource
from .return_to import safe_return_to
from .sessions import (
    Session,
    django_session,
    flask_session,
    forget_binding,
    starlette_session,
)
from .sqlite import SqliteFlowStore, SqliteTokenStore
from .token_store import MemoryTokenStore, TokenStore
from .tokens import TokenSet, parse_token_response

__all__ = [
    "ATLASSIAN_API_URL",
    "ATLASSIAN_AUTH_URL",
    "AccessibleResource",
    "ApiError",
    "AsyncConnection",
    "AsyncThreeLOClient",
    "Authorization",
    "AuthorizationDenied",
    "AuthorizationError",
    "CallbackError",
    "ClientConfig",
    "Clock",
    "Connection",
    "FlowStore",
    "InvalidTokenResponse",
    "IssuerMismatch",
    "MalformedCallback",
    "MemoryFlowStore",
    "MemoryTokenStore",
    "NetworkError",
    "PendingFlow",
    "ReconnectNeeded",
    "Session",
    "SqliteFlowStore",
    "SqliteTokenStore",
    "StateMismatch",
    "ThreeLOClient",
    "ThreeLOError",
    "TokenEndpointError",
    "TokenSet",
    "TokenStore",
    "UnsafeReturnTo",
    "django_session",
    "flask_session",
    "forget_binding",
    "parse_token_response",
    "safe_return_to",
    "starlette_session",
]
