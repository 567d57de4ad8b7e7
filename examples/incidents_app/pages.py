"""HTML for the incidents app. Every value from outside passes through ``esc``."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
}

UNSAFE_BANNER = (
    '<div id="unsafe-banner" style="background:#b00020;color:#fff;padding:1em;'
    'font-weight:bold;border:4px dashed #fff">'
    "UNSAFE MODE (--unsafe-skip-state-check): the OAuth callback does not check state. "
    "Anyone can link their Jira account to yours. Attack demonstration only, never use it "
    "for real data.</div>"
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:44em;margin:2em auto;padding:0 1em}"
    "form{margin:1em 0}label{display:block;margin:.5em 0}"
    ".error{color:#b00020}.muted{color:#555}"
)


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{esc(token)}">'


def render(
    title: str, body: str, *, unsafe: bool, user: str | None = None, status: int = 200
) -> HTMLResponse:
    who = f'<p class="muted">Signed in as <b>{esc(user)}</b></p>' if user else ""
    html = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{esc(title)} · Incidents</title><style>{_STYLE}</style></head><body>"
        f"{UNSAFE_BANNER if unsafe else ''}<h1>{esc(title)}</h1>{who}{body}"
        '<p><a href="/">Home</a></p></body></html>'
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def sign_in_form(csrf: str, message: str = "") -> str:
    note = f'<p class="error">{esc(message)}</p>' if message else ""
    return (
        f'{note}<form method="post" action="/login">{csrf_field(csrf)}'
        '<label>Username <input name="username" autocomplete="username"></label>'
        '<label>Password <input name="password" type="password" '
        'autocomplete="current-password"></label>'
        "<button>Sign in</button></form>"
    )


def post_button(action: str, label: str, csrf: str, hidden: dict[str, str] | None = None) -> str:
    fields = "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in (hidden or {}).items()
    )
    return (
        f'<form method="post" action="{esc(action)}">{csrf_field(csrf)}{fields}'
        f"<button>{esc(label)}</button></form>"
    )
