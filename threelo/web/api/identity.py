"""``GET /me`` (CONTRACT §5.1) and ``GET /oauth/token/accessible-resources`` (§5.2)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from threelo.core.access import AccessContext
from threelo.core.scopes import ScopeCatalogue
from threelo.web.api.auth import authenticate, read_body
from threelo.web.api.errors import scope_mismatch
from threelo.web.api.face import ApiFace, json_no_store

READ_ME = "read:me"


def profile(access: AccessContext) -> dict[str, Any]:
    a = access.account
    return {
        "account_type": "atlassian",
        "account_id": a.account_id,
        "email": a.email,
        "name": a.name,
        "picture": a.picture,
        "account_status": a.status.value,
        "nickname": a.nickname,
        "zoneinfo": a.zoneinfo,
        "locale": a.locale,
        "extended_profile": {
            "job_title": a.job_title,
            "organization": a.organization,
            "department": a.department,
            "location": a.location,
        },
    }


def resources(access: AccessContext, catalogue: ScopeCatalogue) -> list[dict[str, Any]]:
    """One entry per (site, product) reached, scopes in catalogue order; sorted by site name,
    cloud id, product so that ``resources[0]`` is at least stable (atlassian-3lo.md §4.3)."""
    out = []
    for r in sorted(access.reach, key=lambda r: (r.site.name, r.site.cloud_id, r.product)):
        product = catalogue.products.get(r.product)
        ordered = [s.name for s in product.scopes] if product else []
        out.append({
            "id": r.site.cloud_id,
            "name": r.site.name,
            "url": r.site.url,
            "scopes": [s for s in ordered if s in access.scopes],
            "avatarUrl": r.site.avatar_url,
        })
    return out


def me(face: ApiFace) -> Any:
    async def handler(request: Request) -> Response:
        body = await read_body(request)
        auth = await authenticate(face.ctx, face.limits, request, body=body)
        if READ_ME not in auth.access.scopes:
            raise scope_mismatch()
        return json_no_store(profile(auth.access), auth.rate)

    return face.endpoint(handler)


def accessible_resources(face: ApiFace) -> Any:
    async def handler(request: Request) -> Response:
        body = await read_body(request)
        auth = await authenticate(face.ctx, face.limits, request, body=body)
        return json_no_store(resources(auth.access, face.ctx.platform.catalogue), auth.rate)

    return face.endpoint(handler)
