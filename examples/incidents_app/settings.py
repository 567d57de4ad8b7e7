"""Settings of the incidents example app, from code, environment variables or flags."""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx

DEMO_USERS: Mapping[str, str] = {"edward": "edward-demo", "mallory": "mallory-demo"}
DEFAULT_SCOPES = ("read:me", "read:jira-work", "write:jira-work", "offline_access")


@dataclass
class Settings:
    """How the app reaches threelo (or Atlassian) and how it presents itself."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    threelo_url: str = "http://127.0.0.1:8000"
    api_url: str | None = None
    issuer: str | None = None
    public_url: str = "http://127.0.0.1:8100"
    scopes: Sequence[str] = DEFAULT_SCOPES
    users: Mapping[str, str] = field(default_factory=lambda: dict(DEMO_USERS), repr=False)
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    unsafe_skip_state_check: bool = False
    token_db: str | None = None
    http_client: httpx.AsyncClient | None = None

    @property
    def callback_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/callback"


def settings_from_command_line(argv: Sequence[str] | None = None) -> tuple[Settings, int]:
    """Flags win over ``INCIDENTS_*`` environment variables."""
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m examples.incidents_app",
        description="Report confidential incidents to Jira through threelo.",
    )
    parser.add_argument(
        "--threelo-url", default=env.get("INCIDENTS_THREELO_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--api-url", default=env.get("INCIDENTS_API_URL"))
    parser.add_argument("--client-id", default=env.get("INCIDENTS_CLIENT_ID"))
    parser.add_argument("--client-secret", default=env.get("INCIDENTS_CLIENT_SECRET"))
    parser.add_argument("--host", default=env.get("INCIDENTS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("INCIDENTS_PORT", "8100")))
    parser.add_argument("--token-db", default=env.get("INCIDENTS_TOKEN_DB"))
    parser.add_argument(
        "--unsafe-skip-state-check",
        action="store_true",
        help="DANGEROUS: accept any callback code without checking state. Attack demo only.",
    )
    args = parser.parse_args(argv)
    if not args.client_id:
        parser.error("--client-id (or INCIDENTS_CLIENT_ID) is required")
    settings = Settings(
        client_id=args.client_id,
        client_secret=args.client_secret,
        threelo_url=args.threelo_url,
        api_url=args.api_url,
        public_url=f"http://{args.host}:{args.port}",
        token_db=args.token_db,
        unsafe_skip_state_check=args.unsafe_skip_state_check,
    )
    return settings, args.port
