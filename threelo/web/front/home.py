"""``GET /``: where sign-in lands when no other page asked for it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threelo.core.models import Account
from threelo.web.common import require_login, templates


def home(request: Request) -> Response:
    account = require_login(request)
    if not isinstance(account, Account):
        return account
    return templates.render(request, "home.html", {"account": account})
