"""What the incidents app remembers: its users' Jira links and the incidents they reported."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from threelo.sdk import AsyncThreeLOClient

from .settings import Settings
from .users import LocalUsers


@dataclass
class Link:
    """A local user's connected account. Keyed by the session's user, never by e-mail."""

    account_id: str
    name: str
    cloud_id: str | None = None
    site_name: str | None = None


@dataclass
class Incident:
    reporter: str
    key: str
    summary: str
    site_name: str


@dataclass
class AppState:
    settings: Settings
    sdk: AsyncThreeLOClient
    http: httpx.AsyncClient
    users: LocalUsers
    links: dict[str, Link] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)
