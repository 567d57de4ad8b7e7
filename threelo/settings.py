"""Settings from ``THREELO_*`` environment variables, with safe defaults for local use.

A bad value stops start-up with one line naming the variable and what it expects.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import urlsplit

from threelo.core.policy import DEFAULT_AUDIENCE, Policy

DEFAULT_DATABASE_URL = "sqlite:///threelo.db"


class SettingsError(ValueError):
    """A setting has a value threelo cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    issuer: str = "http://127.0.0.1:8000"
    api_base_url: str = ""  # empty: same origin as the issuer
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    audience: str = DEFAULT_AUDIENCE
    access_token_ttl: int = 3600
    code_ttl: int = 600
    refresh_reuse_leeway: int = 600
    refresh_idle_ttl: int = 90 * 86400
    refresh_absolute_ttl: int = 365 * 86400
    redis_url: str = ""
    cors_origins: tuple[str, ...] = ("*",)
    products_file: str = ""
    workers: int = 0  # 0: by store (threelo.web.server.worker_count)
    store_threads: int = 0  # 0: store calls on the event loop (threelo.web.common.offload)
    trust_forwarded_for: bool = False

    @property
    def api_base(self) -> str:
        return (self.api_base_url or self.issuer).rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    def policy(self) -> Policy:
        return Policy(
            issuer=self.issuer.rstrip("/"),
            audience=self.audience,
            access_token_ttl=timedelta(seconds=self.access_token_ttl),
            code_ttl=timedelta(seconds=self.code_ttl),
            refresh_reuse_leeway=timedelta(seconds=self.refresh_reuse_leeway),
            refresh_idle_ttl=timedelta(seconds=self.refresh_idle_ttl),
            refresh_absolute_ttl=timedelta(seconds=self.refresh_absolute_ttl),
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise SettingsError(f"{name} must be an absolute {'/'.join(schemes)} URL, got {value!r}")
    return value.rstrip("/")


def _seconds(name: str, value: str, *, maximum: int | None = None) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number of seconds, got {value!r}") from None
    if seconds <= 0 or (maximum is not None and seconds > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise SettingsError(f"{name} must be greater than 0{bound}, got {value!r}")
    return seconds


def _database_url(value: str) -> str:
    scheme = urlsplit(value).scheme.split("+")[0]
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise SettingsError(
            f"THREELO_DATABASE_URL must start with sqlite:// or postgresql://, got {value!r}"
        )
    return value


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    get = env.get
    if (v := get("THREELO_DATABASE_URL")) is not None:
        values["database_url"] = _database_url(v)
    if (v := get("THREELO_ISSUER")) is not None:
        values["issuer"] = _url("THREELO_ISSUER", v, ("http", "https"))
    if (v := get("THREELO_API_BASE_URL")) is not None:
        values["api_base_url"] = _url("THREELO_API_BASE_URL", v, ("http", "https"))
    if (v := get("THREELO_SECRET_KEY")) is not None:
        if len(v) < 32:
            raise SettingsError("THREELO_SECRET_KEY must be at least 32 characters")
        values["secret_key"] = v
    if (v := get("THREELO_AUDIENCE")) is not None:
        if not v.strip():
            raise SettingsError("THREELO_AUDIENCE must not be empty")
        values["audience"] = v
    for key, attr, maximum in (
        ("THREELO_ACCESS_TOKEN_TTL", "access_token_ttl", 86400),
        ("THREELO_CODE_TTL", "code_ttl", 600),
        ("THREELO_REFRESH_REUSE_LEEWAY", "refresh_reuse_leeway", 86400),
        ("THREELO_REFRESH_IDLE_TTL", "refresh_idle_ttl", None),
        ("THREELO_REFRESH_ABSOLUTE_TTL", "refresh_absolute_ttl", None),
    ):
        if (v := get(key)) is not None:
            values[attr] = _seconds(key, v, maximum=maximum)
    if (v := get("THREELO_REDIS_URL")) is not None and v:
        values["redis_url"] = _url("THREELO_REDIS_URL", v, ("redis", "rediss", "unix"))
    if (v := get("THREELO_CORS_ORIGINS")) is not None:
        origins = tuple(o.strip() for o in v.split(",") if o.strip())
        for origin in origins:
            if origin != "*":
                _url("THREELO_CORS_ORIGINS", origin, ("http", "https"))
        values["cors_origins"] = origins
    if (v := get("THREELO_PRODUCTS_FILE")) is not None:
        values["products_file"] = v
    if (v := get("THREELO_WORKERS")) is not None:
        try:
            values["workers"] = int(v)
        except ValueError:
            raise SettingsError(f"THREELO_WORKERS must be a whole number, got {v!r}") from None
        if values["workers"] < 0:  # type: ignore[operator]
            raise SettingsError(f"THREELO_WORKERS must be 0 or more, got {v!r}")
    if (v := get("THREELO_STORE_THREADS")) is not None:
        values["store_threads"] = _store_threads(v)
    if (v := get("THREELO_TRUST_FORWARDED_FOR")) is not None:
        values["trust_forwarded_for"] = _bool("THREELO_TRUST_FORWARDED_FOR", v)
    return Settings(**values)  # type: ignore[arg-type]


def _store_threads(v: str) -> int:
    from threelo.storage.sql.engine import POOL_SIZE  # no more threads than pooled connections

    try:
        n = int(v)
    except ValueError:
        n = -1
    if not 0 <= n <= POOL_SIZE:
        raise SettingsError(
            f"THREELO_STORE_THREADS must be a whole number from 0 to {POOL_SIZE}, got {v!r}"
        )
    return n
