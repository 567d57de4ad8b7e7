"""What every web adapter needs, built once per application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from threelo.core.platform import Platform
from threelo.settings import Settings

if TYPE_CHECKING:  # web.common imports this module; keep the import one-way at run time
    from threelo.web.common.ratelimit import RateLimiter


@dataclass(eq=False)  # hashed by identity: web.common.offload keys its limiters by context
class WebContext:
    platform: Platform
    settings: Settings
    limiter: RateLimiter
    inline_store: bool = False  # run store calls on the event loop (the default when served)
    store_concurrency: int = 10  # otherwise at most this many on worker threads at once
