"""JSON answers of the OAuth endpoints: never cached (RFC 6749 §5.1), errors per §5.2."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from threelo.core.errors import OAuthError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = 'Basic realm="threelo", charset="UTF-8"'


def json_answer(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def error_answer(
    error: OAuthError, *, basic_used: bool = False, headers: dict[str, str] | None = None
) -> JSONResponse:
    extra = dict(headers or {})
    if error.code == "invalid_client" and basic_used:
        extra["WWW-Authenticate"] = BASIC_CHALLENGE  # RFC 6749 §5.2
    return json_answer(error.as_dict(), error.status, extra)


def method_not_allowed(allow: str) -> JSONResponse:
    return json_answer(
        {"error": "invalid_request", "error_description": f"Use {allow}"},
        405,
        {"Allow": allow},
    )
