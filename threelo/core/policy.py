"""Lifetimes and limits the protocol logic obeys; built from settings, defaults per CONTRACT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

DEFAULT_AUDIENCE = "api.atlassian.com"


@dataclass(frozen=True, slots=True)
class Policy:
    issuer: str = "http://127.0.0.1:8000"
    audience: str = DEFAULT_AUDIENCE
    access_token_ttl: timedelta = timedelta(hours=1)
    code_ttl: timedelta = timedelta(minutes=10)  # CONTRACT §4.5: at most 10 minutes
    refresh_reuse_leeway: timedelta = timedelta(minutes=10)
    refresh_idle_ttl: timedelta = timedelta(days=90)
    refresh_absolute_ttl: timedelta = timedelta(days=365)
    pending_ttl: timedelta = timedelta(minutes=30)
    session_ttl: timedelta = timedelta(hours=12)
    clock_skew: timedelta = timedelta(seconds=60)
