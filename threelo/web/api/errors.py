"""Errors of the API face in the gateway's body shape ``{"code", "message"}``
(atlassian-3lo.md §6.1), with the RFC 6750 §3 ``WWW-Authenticate`` challenges."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from threelo.core.gateway import SCOPE_FAILURE_CATEGORY, SCOPE_MISMATCH

REALM = "threelo"


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"code": self.status, "message": self.message},
            status_code=self.status,
            headers={"Cache-Control": "no-store", **self.headers},
        )


def missing_token() -> ApiError:
    """RFC 6750 §3.1: a request without credentials gets a challenge without an error code."""
    return ApiError(401, "Unauthorized", {"WWW-Authenticate": f'Bearer realm="{REALM}"'})


def invalid_token() -> ApiError:
    return ApiError(401, "Unauthorized", {
        "WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'})


def invalid_request(message: str) -> ApiError:
    """RFC 6750 §3.1 ``invalid_request``: e.g. more than one token transport (§2)."""
    return ApiError(400, message, {
        "WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_request"'})


def scope_mismatch() -> ApiError:
    """Atlassian's answer for a missing scope (401, not RFC 6750's 403 insufficient_scope)."""
    return ApiError(401, SCOPE_MISMATCH, {
        "X-Failure-Category": SCOPE_FAILURE_CATEGORY,
        "WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope"'})
