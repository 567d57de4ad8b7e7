"""What an app that ignores ``state`` does. Used only with ``--unsafe-skip-state-check``.

This is the mistake RFC 6749 §10.12 warns about, written out so the attack can be shown: the
authorization request sends a ``state`` nobody remembers and no PKCE challenge, and the callback
exchanges whatever code arrives, in whichever browser session it arrives.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx

from threelo.sdk import ClientConfig, MalformedCallback, TokenSet, parse_token_response


def naive_authorization_url(config: ClientConfig) -> str:
    params = {
        "audience": config.audience,
        "client_id": config.client_id,
        "scope": " ".join(config.scopes),
        "redirect_uri": config.callback_url,
        "state": secrets.token_urlsafe(16),  # sent, never remembered, never checked
        "response_type": "code",
        "prompt": "consent",
    }
    return f"{config.authorize_url}?{urlencode(params, quote_via=quote)}"


async def naive_exchange(
    http: httpx.AsyncClient, config: ClientConfig, callback_url: str
) -> TokenSet:
    codes = parse_qs(urlsplit(callback_url).query).get("code", [])
    if not codes or not codes[0]:
        raise MalformedCallback("callback carries no code")
    body = {
        "grant_type": "authorization_code",
        "code": codes[0],
        "redirect_uri": config.callback_url,
        "client_id": config.client_id,
    }
    if config.client_secret is not None:
        body["client_secret"] = config.client_secret
    response = await http.post(config.token_url, json=body)
    return parse_token_response(response, time.time(), config.default_expires_in)
