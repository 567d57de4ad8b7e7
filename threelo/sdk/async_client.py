"""The asynchronous client: ``httpx.AsyncClient`` underneath, for one event loop.

Token and flow stores are called directly (they are quick, local operations).
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

import httpx

from .authorization import Authorization, AuthorizationFlows
from .config import ClientConfig, Clock
from .errors import NetworkError, ReconnectNeeded, TokenEndpointError
from .flow_store import FlowStore, MemoryFlowStore
from .refresh import AsyncKeyedLocks, forget_on_invalid_grant, needs_refresh
from .resources import (
    AccessibleResource,
    gateway_url,
    parse_accessible_resources,
    parse_json_object,
)
from .sessions import Session
from .token_store import MemoryTokenStore, TokenStore
from .tokens import (
    TokenRequest,
    TokenSet,
    authorization_code_request,
    parse_token_response,
    refresh_token_request,
)

__all__ = ["AsyncConnection", "AsyncThreeLOClient"]

logger = logging.getLogger("threelo.sdk")


class AsyncThreeLOClient:
    """Runs the authorization code flow for one app and keeps its connections' tokens fresh.

    Pass ``http_client`` (or ``transport``) to route requests elsewhere, e.g.
    ``httpx.AsyncClient(transport=httpx.ASGITransport(app=...))`` in tests.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        token_store: TokenStore | None = None,
        flow_store: FlowStore | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.config = config
        self.token_store: TokenStore = (
            token_store if token_store is not None else MemoryTokenStore()
        )
        self._flows = AuthorizationFlows(
            config, flow_store if flow_store is not None else MemoryFlowStore(), clock
        )
        self._clock = clock
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout)
        self._locks = AsyncKeyedLocks()

    def begin(self, session: Session, return_to: str | None = None) -> str:
        """The URL to send the user's browser to; the flow is bound to ``session``."""
        return self._flows.begin(session, return_to)

    async def complete(
        self, session: Session, callback_url: str, *, token_key: str | None = None
    ) -> Authorization:
        """Exchange the callback's code, only if the callback answers this session's flow.

        With ``token_key`` the tokens are also saved in the token store under that key.
        """
        accepted = self._flows.accept(session, callback_url)
        flow = accepted.flow
        request = authorization_code_request(
            self.config, accepted.code, flow.code_verifier, flow.redirect_uri
        )
        tokens = await self._token_call(request)
        if token_key is not None:
            self.token_store.put(token_key, tokens)
        return Authorization(tokens=tokens, return_to=flow.return_to)

    def connection(self, key: str) -> AsyncConnection:
        """API access with the tokens stored under ``key``."""
        return AsyncConnection(self, key)

    def disconnect(self, key: str) -> None:
        """Forget the tokens stored under ``key`` (does not revoke them on the server)."""
        self.token_store.delete(key)

    async def valid_tokens(self, key: str) -> TokenSet:
        """The stored tokens, refreshed first if the access token has (almost) expired."""
        tokens = self.token_store.get(key)
        if tokens is None:
            raise ReconnectNeeded("no tokens stored for this key")
        if not needs_refresh(tokens, self._clock(), self.config.refresh_leeway, None):
            return tokens
        return await self.refresh(key)

    async def refresh(self, key: str, *, rejected_access_token: str | None = None) -> TokenSet:
        """Refresh ``key``'s tokens unless another thread already did (single-flight)."""
        async with self._locks.hold(key):
            current = self.token_store.get(key)
            if current is None:
                raise ReconnectNeeded("no tokens stored for this key")
            now = self._clock()
            if not needs_refresh(current, now, self.config.refresh_leeway, rejected_access_token):
                return current
            if current.refresh_token is None:
                raise ReconnectNeeded("access token expired and there is no refresh token")
            request = refresh_token_request(self.config, current.refresh_token)
            try:
                fresh = await self._token_call(request)
            except TokenEndpointError as exc:
                forget_on_invalid_grant(self.token_store, key, current, exc)
                raise
            rotated = current.with_rotation(fresh)
            # The rotated refresh token is durable before anyone uses the new access token:
            # the presented one is now spent (RFC 9700 §4.14.2, RFC 6819 §5.2.2.3).
            self.token_store.put(key, rotated)
            logger.debug("refreshed the tokens of one connection")
            return rotated

    async def _token_call(self, request: TokenRequest) -> TokenSet:
        response = await self._send("POST", request.url, **request.send_kwargs())
        return parse_token_response(response, self._clock(), self.config.default_expires_in)

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)
            await response.aread()
        except httpx.TransportError as exc:
            raise NetworkError(f"{method} {httpx.URL(url).copy_with(query=None)} failed") from exc
        return response

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncThreeLOClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncConnection:
    """One connection's view of the API face, refreshing its tokens as needed."""

    def __init__(self, client: AsyncThreeLOClient, key: str) -> None:
        self._client = client
        self.key = key

    async def access_token(self) -> str:
        return (await self._client.valid_tokens(self.key)).access_token

    async def accessible_resources(self) -> list[AccessibleResource]:
        config = self._client.config
        response = await self.request("GET", config.accessible_resources_url)
        return parse_accessible_resources(response)

    async def me(self) -> dict[str, Any]:
        return parse_json_object(await self.request("GET", self._client.config.me_url))

    async def call(
        self, product: str, cloud_id: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        """A gateway request to ``/ex/{product}/{cloud_id}/{path}``; ``kwargs`` go to httpx."""
        url = gateway_url(self._client.config, product, cloud_id, path)
        return await self.request(method, url, **kwargs)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """An authorized request; after one 401 the tokens are refreshed and it is sent again."""
        tokens = await self._client.valid_tokens(self.key)
        response = await self._send(method, url, tokens, kwargs)
        if response.status_code != 401 or tokens.refresh_token is None:
            return response
        tokens = await self._client.refresh(self.key, rejected_access_token=tokens.access_token)
        return await self._send(method, url, tokens, kwargs)

    async def _send(
        self, method: str, url: str, tokens: TokenSet, kwargs: dict[str, Any]
    ) -> httpx.Response:
        headers = httpx.Headers(kwargs.get("headers"))
        headers["Authorization"] = f"Bearer {tokens.access_token}"
        headers.setdefault("Accept", "application/json")
        options = {**kwargs, "headers": headers}
        return await self._client._send(method, url, **options)
