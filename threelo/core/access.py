"""Access-token verification for the API face: signature, claims, then live state.

A token is accepted only if its signature, issuer, audience and lifetime hold **and** its grant
and family are still alive (CONTRACT §4.8). What it reaches is computed from the state *now*:
the grant's current scopes and sites, the app's current scopes, the account's current
memberships (CONTRACT §4.4).

Caching: verified signatures are kept per token until the token expires (pure, always safe);
live state is kept at most :data:`STATE_TTL` and dropped at once by the ``invalidate_*`` hooks,
which code that revokes or changes grants, families, accounts, apps or memberships calls.
Other processes see such changes once their entry ages out (CONTRACT §1: within 5 s).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from threelo.core.errors import InvalidToken
from threelo.core.keys import ALGORITHMS
from threelo.core.models import Account, App, Grant, Site, TokenFamily
from threelo.core.platform import Platform
from threelo.core.ports import Tx
from threelo.core.scopes import ScopeCatalogue

MAX_TOKEN_BYTES = 8 * 1024  # refuse before parsing (RFC 8725 §3.11: bound the work done)
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti", "gid", "fid", "gen")
TOKEN_TYPE = "at+jwt"  # RFC 9068 §4: refuse any other typ (RFC 8725 §3.11, explicit typing)
STATE_TTL = 2.0  # seconds a process may serve live state from its cache
_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Reach:
    """One (site, product) pair a token can use."""

    site: Site
    product: str


@dataclass(frozen=True, slots=True)
class AccessContext:
    account: Account
    app: App
    grant: Grant
    family: TokenFamily
    scopes: tuple[str, ...]  # effective: grant.scopes ∩ app.scopes, grant order
    reach: tuple[Reach, ...]
    claims: Mapping[str, Any]

    def reaches(self, cloud_id: str, product: str) -> Site | None:
        for r in self.reach:
            if r.site.cloud_id == cloud_id and r.product == product:
                return r.site
        return None

    def has_scopes(self, required: tuple[str, ...]) -> bool:
        return all(s in self.scopes for s in required)


@dataclass(frozen=True, slots=True)
class _LiveState:
    account: Account
    app: App
    grant: Grant
    family: TokenFamily
    sites: tuple[Site, ...]
    memberships: frozenset[tuple[str, str]]  # (cloud_id, product)
    blocked: frozenset[str]
    loaded_at: float


class _TTLCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        # Counts the drops: a value read from the store before a drop may be stale, and
        # :meth:`put_unless_dropped_since` then leaves it out of the cache.
        self.drops = 0

    def get(self, key: Any) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                del self._items[key]
                return None
            return item[1]

    def put(self, key: Any, value: Any, ttl: float) -> None:
        with self._lock:
            self._put(key, value, ttl)

    def put_unless_dropped_since(self, drops: int, key: Any, value: Any, ttl: float) -> None:
        with self._lock:  # one hold: a drop between the check and the put would be missed
            if self.drops == drops:
                self._put(key, value, ttl)

    def _put(self, key: Any, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        self._items[key] = (time.monotonic() + ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > _CACHE_SIZE:
            self._items.popitem(last=False)

    def drop_where(self, test: Callable[[Any], bool]) -> None:
        with self._lock:
            self.drops += 1
            for key in [k for k, (_, v) in self._items.items() if test(v)]:
                del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self.drops += 1
            self._items.clear()


_signatures = _TTLCache()  # (id(platform), token) -> verified claims
_states = _TTLCache()  # (id(store), gid, fid) -> _LiveState


def invalidate_grant(grant_id: str) -> None:
    _states.drop_where(lambda s: s.grant.grant_id == grant_id)


def invalidate_family(family_id: str) -> None:
    _states.drop_where(lambda s: s.family.family_id == family_id)


def invalidate_account(account_id: str) -> None:
    """After deactivation, a password change, or a membership change."""
    _states.drop_where(lambda s: s.account.account_id == account_id)


def invalidate_app(client_id: str) -> None:
    """After an app's scopes change, the app is deleted, or a site blocks it."""
    _states.drop_where(lambda s: s.app.client_id == client_id)


def invalidate_site(cloud_id: str) -> None:
    _states.drop_where(lambda s: any(site.cloud_id == cloud_id for site in s.sites))


def invalidate_all() -> None:
    _states.clear()
    _signatures.clear()


def verify_access_token(platform: Platform, token: str) -> AccessContext:
    claims = _verified_claims(platform, token)
    state = _live_state(platform, claims)
    now = platform.clock.now()
    _check_state(platform, claims, state, now)
    return _context(platform.catalogue, claims, state)


def verify_cached(platform: Platform, token: str) -> AccessContext | None:
    """The same verdict as :func:`verify_access_token` when it needs no store access (the
    signature and the live state are both cached), else None. Lets the web layer answer hot
    tokens without leaving the event loop."""
    if len(token) > MAX_TOKEN_BYTES:
        raise InvalidToken(detail="token too large")
    cached = _signatures.get((id(platform), token))
    if cached is None:
        return None
    state: _LiveState | None = _states.get((id(platform.store), cached["gid"], cached["fid"]))
    if state is None or cached["gen"] > state.family.generation:
        return None
    claims = _verified_claims(platform, token)
    _check_state(platform, claims, state, platform.clock.now())
    return _context(platform.catalogue, claims, state)


def _verified_claims(platform: Platform, token: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_BYTES:
        raise InvalidToken(detail="token too large")
    key = (id(platform), token)
    cached = _signatures.get(key)
    now = platform.clock.now()
    if cached is not None:
        if cached["exp"] + platform.policy.clock_skew.total_seconds() < now.timestamp():
            raise InvalidToken(detail="expired")
        return dict(cached)
    claims = _decode(platform, token, now)
    _signatures.put(key, claims, min(300.0, claims["exp"] - now.timestamp()))
    return dict(claims)


def _decode(platform: Platform, token: str, now: datetime) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(detail=f"bad header: {exc}") from None
    # RFC 8725 §3.1 / §3.10: the algorithm list is ours and the key comes only from our own
    # key set by kid; jwk / jku / x5u / x5c headers are never used (nor fetched).
    if header.get("typ") != TOKEN_TYPE or header.get("alg") not in ALGORITHMS:
        raise InvalidToken(detail="wrong typ or alg")
    if any(h in header for h in ("jwk", "jku", "x5u", "x5c", "crit")):
        raise InvalidToken(detail="embedded key material refused")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 64:
        raise InvalidToken(detail="bad kid")
    public_key = platform.keys.verification_key(kid)
    if public_key is None:
        raise InvalidToken(detail="unknown kid")
    policy = platform.policy
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=list(ALGORITHMS),
            audience=policy.audience,
            issuer=policy.issuer,
            # Times are checked below against the platform clock, not the wall clock.
            options={
                "require": list(REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(detail=f"rejected: {exc}") from None
    _check_times(claims, now, policy.clock_skew)
    _check_claim_types(claims)
    return claims


def _check_times(claims: Mapping[str, Any], now: datetime, skew: timedelta) -> None:
    """RFC 9068 §4 / RFC 7519 §4.1.4–4.1.6: expired, or issued / valid only in the future,
    with at most ``clock_skew`` of leeway."""
    for name in ("exp", "iat", "nbf"):
        value = claims.get(name, 0)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidToken(detail=f"bad {name}")
    limit = now.timestamp()
    slack = skew.total_seconds()
    if claims["exp"] + slack < limit:
        raise InvalidToken(detail="expired")
    if claims["iat"] - slack > limit or claims.get("nbf", 0) - slack > limit:
        raise InvalidToken(detail="not yet valid")


def _check_claim_types(claims: Mapping[str, Any]) -> None:
    for name in ("sub", "jti", "gid", "fid", "client_id"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise InvalidToken(detail=f"bad {name}")
    gen = claims["gen"]
    if not isinstance(gen, int) or isinstance(gen, bool) or gen < 0:
        raise InvalidToken(detail="bad gen")
    if not isinstance(claims.get("scope", ""), str):
        raise InvalidToken(detail="bad scope")


def _live_state(platform: Platform, claims: Mapping[str, Any]) -> _LiveState:
    key = (id(platform.store), claims["gid"], claims["fid"])
    state: _LiveState | None = _states.get(key)
    # A token newer than the cached family (rotated by another process) forces a reload.
    if state is None or claims["gen"] > state.family.generation:
        drops = _states.drops
        with platform.store.reader() as tx:
            state = _load_state(tx, claims)
        # A revocation that committed and invalidated while this read ran (another thread)
        # must not be undone by caching what was read before it (CONTRACT §1: at once here).
        _states.put_unless_dropped_since(drops, key, state, STATE_TTL)
    return state


def _load_state(tx: Tx, claims: Mapping[str, Any]) -> _LiveState:
    # Everything keyed by the token's own claims is read together, in one round trip where the
    # store allows; the grant's sites follow in a second. The account and the app are read by
    # the names in the token, so a grant naming others is refused here, before anything is
    # cached under its id: the cached state always holds the grant's own account and app.
    grant_later = tx.grants.get_later(claims["gid"])
    family_later = tx.families.get_later(claims["fid"])
    account_later = tx.accounts.get_later(claims["sub"])
    app_later = tx.apps.get_later(claims["client_id"])
    memberships_later = tx.memberships.for_account_later(claims["sub"])
    blocked_later = tx.app_site_blocks.blocked_sites_later(claims["client_id"])
    grant, family = grant_later(), family_later()
    if grant is None or family is None:
        raise InvalidToken(detail="grant or family gone")
    if (grant.account_id, grant.client_id) != (claims["sub"], claims["client_id"]):
        raise InvalidToken(detail="grant does not match the token")
    account, app = account_later(), app_later()
    if account is None or app is None:
        raise InvalidToken(detail="account or app gone")
    memberships = frozenset((m.cloud_id, m.product) for m in memberships_later())
    blocked = blocked_later()
    found = [tx.sites.get_later(cloud_id) for cloud_id in sorted(grant.sites)]
    return _LiveState(
        account=account,
        app=app,
        grant=grant,
        family=family,
        sites=tuple(site for site_later in found if (site := site_later()) is not None),
        memberships=memberships,
        blocked=blocked,
        loaded_at=time.monotonic(),
    )


def _check_state(
    platform: Platform, claims: Mapping[str, Any], state: _LiveState, now: datetime
) -> None:
    grant, family = state.grant, state.family
    if grant.client_id != claims["client_id"] or grant.account_id != claims["sub"]:
        raise InvalidToken(detail="grant does not match the token")
    if family.grant_id != grant.grant_id or family.revoked_at is not None:
        raise InvalidToken(detail="family revoked or foreign")
    if not state.account.active:
        raise InvalidToken(detail="account inactive")
    if not _companion_alive(claims["gen"], family, now, platform.policy.refresh_reuse_leeway):
        raise InvalidToken(detail="superseded by a rotation")


def _companion_alive(gen: int, family: TokenFamily, now: datetime, leeway: timedelta) -> bool:
    """The access token issued beside a spent refresh token dies one reuse leeway after the
    rotation (CONTRACT §4.6; RFC 9700 §4.14.2)."""
    if gen == family.generation:
        return True
    if gen == family.generation - 1 and family.rotated_at is not None:
        rotated = family.rotated_at
        if rotated.tzinfo is None:
            rotated = rotated.replace(tzinfo=UTC)
        return now <= rotated + leeway
    return False


def _context(
    catalogue: ScopeCatalogue, claims: Mapping[str, Any], state: _LiveState
) -> AccessContext:
    app_scopes = set(state.app.scopes)
    scopes = tuple(s for s in state.grant.scopes if s in app_scopes)
    touched = catalogue.site_products(scopes)
    allowed_sites = set(state.grant.sites)
    if state.app.resource_level:
        allowed_sites &= state.family.sites
    allowed_sites -= state.blocked
    reach: list[Reach] = []
    for site in state.sites:
        if site.cloud_id not in allowed_sites:
            continue
        for product in site.products:
            if product in touched and (site.cloud_id, product) in state.memberships:
                reach.append(Reach(site, product))
    return AccessContext(
        account=state.account,
        app=state.app,
        grant=state.grant,
        family=state.family,
        scopes=scopes,
        reach=tuple(reach),
        claims=dict(claims),
    )
