"""``serve``, ``demo`` and ``db upgrade``: migrations first, then the web server."""

from __future__ import annotations

import json
import os
from pathlib import Path

from threelo.cli.context import Invocation
from threelo.core.clock import SystemClock
from threelo.core.demo import DemoData, seed_demo
from threelo.core.secret_values import new_secret
from threelo.settings import Settings

DEMO_DATABASE_URL = "sqlite:///threelo-demo.db"
DEMO_SECRETS_FILE = "threelo-demo.secrets.json"


def db_upgrade(inv: Invocation) -> None:
    from threelo.storage.migrate import upgrade

    upgrade(inv.settings.database_url)
    inv.out.result({"ok": True}, "Database is up to date")


def serve(inv: Invocation) -> None:
    from threelo.storage.migrate import upgrade

    settings = with_origin(inv.settings, inv.args.host, inv.args.port)
    upgrade(settings.database_url)
    inv.out.result(
        {"ok": True, "issuer": settings.issuer},
        f"threelo is serving on {settings.issuer} (Ctrl+C stops it)",
    )
    _run(settings, inv.args.host, inv.args.port)


def demo(inv: Invocation) -> None:
    from threelo.storage import open_store
    from threelo.storage.migrate import upgrade

    settings = inv.settings
    if inv.args.database_url is None and "THREELO_DATABASE_URL" not in os.environ:
        settings = settings.with_overrides(database_url=DEMO_DATABASE_URL)
    settings = with_origin(settings, inv.args.host, inv.args.port)
    upgrade(settings.database_url)
    secret = demo_secret(secrets_file(settings.database_url))
    store = open_store(settings.database_url, migrate=False)
    try:
        data = seed_demo(store, SystemClock(), inv.catalogue(), settings.issuer, secret)
    finally:
        store.close()
    inv.out.result(demo_json(data), demo_text(data))
    _run(settings, inv.args.host, inv.args.port)


def _run(settings: Settings, host: str, port: int) -> None:
    from threelo.web.server import serve as serve_web

    serve_web(settings, host, port)


def with_origin(settings: Settings, host: str, port: int) -> Settings:
    """Without ``THREELO_ISSUER`` the issuer is the address being served."""
    if "THREELO_ISSUER" in os.environ:
        return settings
    wildcard = host in ("", "0.0.0.0")  # noqa: S104 -- reading an address, not binding
    shown = "127.0.0.1" if wildcard else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return settings.with_overrides(issuer=f"http://{shown}:{port}")


def secrets_file(database_url: str) -> Path:
    """Beside a SQLite demo database; in the current directory otherwise."""
    scheme, _, rest = database_url.partition(":///")
    if scheme.split("+")[0] == "sqlite" and rest and rest != ":memory:":
        db = Path(rest)
        return db.with_name(db.stem + ".secrets.json")
    return Path(DEMO_SECRETS_FILE)


def demo_secret(path: Path) -> str:
    """The demo app's client secret, kept in ``path`` (mode 0600) across runs."""
    try:
        secret = json.loads(path.read_text())["client_secret"]
        if isinstance(secret, str) and len(secret) >= 32:
            return secret
    except (OSError, ValueError, KeyError, TypeError):
        pass
    secret = new_secret()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"client_secret": secret}, f)
    return secret


def demo_json(data: DemoData) -> dict[str, object]:
    return {
        "urls": data.urls,
        "accounts": [
            {"email": a.email, "password": a.password, "account_id": a.account_id}
            for a in data.accounts
        ],
        "sites": [{"id": s.cloud_id, "name": s.name, "url": s.url} for s in data.sites],
        "client_id": data.app.client_id,
        "client_secret": data.client_secret,
        "redirect_uri": data.app.callback_urls[0],
        "authorization_url": data.authorization_url,
    }


def demo_text(data: DemoData) -> str:
    width = max(len(name) for name in data.urls)
    lines = [f"threelo demo on {data.base_url}", ""]
    lines += [f"  {name.ljust(width)}  {url}" for name, url in data.urls.items()]
    lines += ["", "Sign in as:"]
    lines += [f"  {a.email.ljust(22)} password {a.password}" for a in data.accounts]
    lines += ["", "Sites:"]
    lines += [f"  {s.name.ljust(14)} {', '.join(s.products).ljust(17)} {s.cloud_id}"
              for s in data.sites]  # fmt: skip
    lines += [
        "",
        f"Sample app {data.app.name!r} (owner alice@example.com, shared):",
        f"  client id      {data.app.client_id}",
        f"  client secret  {data.client_secret}",
        f"  callback       {data.app.callback_urls[0]}",
        "",
        "Open to start an authorization:",
        f"  {data.authorization_url}",
        "",
        "Run the example app against it (from the repository root):",
        f"  .venv/bin/python -m examples.incidents_app --threelo-url {data.base_url} "
        f"--client-id {data.app.client_id} --client-secret {data.client_secret}",
    ]
    return "\n".join(lines)
