"""HTML pages from Jinja2 templates (autoescaped), always with the interactive-page headers.

Every template extends ``base.html`` (blocks ``title`` and ``content``). Each page gets
``request``, ``account`` (the signed-in account or None) and ``logout_csrf`` (the token the
layout's sign-out form posts) besides the caller's context.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from threelo.web.common.csrf import csrf_token
from threelo.web.common.security_headers import apply_security_headers
from threelo.web.common.sessions import current_account

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


class Templates:
    def __init__(self, *extra_dirs: str | Path) -> None:
        loaders = [FileSystemLoader(str(d)) for d in (*extra_dirs, TEMPLATE_DIR)]
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        form_targets: Iterable[str] = (),
    ) -> HTMLResponse:
        """Render ``name`` as a no-store page with the security headers (CONTRACT §4.3)."""
        values: dict[str, Any] = {"request": request}
        values.update(context or {})
        if "account" not in values:
            values["account"] = current_account(request)
        if values["account"] is not None and "logout_csrf" not in values:
            values["logout_csrf"] = csrf_token(request, "logout")
        html = self.env.get_template(name).render(values)
        response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
        return apply_security_headers(response, form_targets=form_targets)

    def error(
        self,
        request: Request,
        status: int,
        message: str,
        *,
        title: str = "Something went wrong",
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """The error page: never a redirect, nothing but our own message."""
        return self.render(
            request,
            "error.html",
            {"title": title, "message": message},
            status=status,
            headers=headers,
        )


templates = Templates()
