"""The API face: accessible resources, ``/me`` and gateway URLs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from .config import ClientConfig
from .errors import ApiError

__all__ = ["AccessibleResource", "gateway_url", "parse_accessible_resources", "parse_json_object"]

_PRODUCT = re.compile(r"[a-z][a-z0-9-]{0,63}")
_CLOUD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,127}")


@dataclass(frozen=True)
class AccessibleResource:
    """One (site, product) entry the token reaches; ``id`` is the cloud id and may repeat."""

    id: str
    name: str
    url: str
    scopes: tuple[str, ...]
    avatar_url: str | None = None


def gateway_url(config: ClientConfig, product: str, cloud_id: str, path: str) -> str:
    """``{api}/ex/{product}/{cloud_id}/{path}``, refusing values that would leave that prefix."""
    if not _PRODUCT.fullmatch(product):
        raise ValueError("product must be a lowercase product name such as 'jira'")
    if not _CLOUD_ID.fullmatch(cloud_id):
        raise ValueError("cloud_id must be a cloud id")
    relative = path.lstrip("/")
    segments = relative.split("?", 1)[0].split("/")
    if "\\" in relative or any(seg in {".", ".."} for seg in segments) or "#" in relative:
        raise ValueError("path must stay below the site's gateway prefix")
    return f"{config.api_base_url}/ex/{product}/{cloud_id}/{relative}"


def _payload(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise ApiError(response.status_code, "request refused")
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(response.status_code, "response is not JSON") from exc


def parse_json_object(response: httpx.Response) -> dict[str, Any]:
    payload = _payload(response)
    if not isinstance(payload, dict):
        raise ApiError(response.status_code, "response is not a JSON object")
    return payload


def _resource(entry: Any) -> AccessibleResource | None:
    if not isinstance(entry, dict):
        return None
    fields = (entry.get("id"), entry.get("name"), entry.get("url"))
    if not all(isinstance(value, str) for value in fields):
        return None
    scopes = entry.get("scopes")
    avatar = entry.get("avatarUrl")
    return AccessibleResource(
        id=entry["id"],
        name=entry["name"],
        url=entry["url"],
        scopes=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else (),
        avatar_url=avatar if isinstance(avatar, str) else None,
    )


def parse_accessible_resources(response: httpx.Response) -> list[AccessibleResource]:
    payload = _payload(response)
    if not isinstance(payload, list):
        raise ApiError(response.status_code, "accessible-resources is not a JSON array")
    return [res for res in (_resource(entry) for entry in payload) if res is not None]
