"""What every web adapter needs, built once per application."""

from __future__ import annotations

from dataclasses import dataclass

from threelo.core.platform import Platform
from threelo.settings import Settings
from threelo.web.common.ratelimit import RateLimiter


@dataclass
class WebContext:
    platform: Platform
    settings: Settings
    limiter: RateLimiter
