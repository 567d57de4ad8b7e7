"""Signing keys: ES256 key pairs, the published JWKS, and rotation with overlap.

ES256 (RFC 7518 §3.4) signs fastest of the asymmetric algorithms here. A rotated key stops
signing at once but stays in the JWKS until every token it signed has expired, so that
resource servers holding a cached JWKS keep verifying (RFC 7517; OIDF oidcc-server-rotate-keys).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from threelo.core.clock import Clock
from threelo.core.models import SigningKey
from threelo.core.ports import Store
from threelo.core.secret_values import new_id

ALGORITHM = "ES256"
# RFC 8725 §3.1: the verifier's algorithm list is fixed, never taken from the token.
ALGORITHMS = (ALGORITHM,)
RELOAD_INTERVAL = timedelta(seconds=5)
# How stale a process's key set may get: a key rotated by `threelo keys rotate` in another
# process is picked up within this time, well inside the published overlap.
REFRESH_INTERVAL = timedelta(seconds=30)


def generate_key(now: datetime) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = new_id()[:16]
    jwk: dict[str, str] = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
    return SigningKey(kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk, created_at=now)


@dataclass(frozen=True, slots=True)
class _Loaded:
    signing: SigningKey
    signing_key: ec.EllipticCurvePrivateKey
    verifying: dict[str, ec.EllipticCurvePublicKey]
    jwks: dict[str, list[dict[str, str]]]


class KeyRing:
    """The current signing key and every key still published, loaded once and refreshed."""

    def __init__(self, store: Store, clock: Clock, overlap: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._overlap = overlap
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._reloaded_at: datetime | None = None

    def _load(self) -> _Loaded:
        with self._store.transaction() as tx:
            keys = list(tx.keys.list())
            if not any(k.retired_at is None for k in keys):
                key = generate_key(self._clock.now())
                tx.keys.add(key)
                keys.append(key)
        return self._build(keys)

    def _build(self, keys: Sequence[SigningKey]) -> _Loaded:
        now = self._clock.now()
        live = [k for k in keys if k.retired_at is None]
        signing = max(live, key=lambda k: k.created_at)
        published = [
            k for k in keys if k.retired_at is None or k.retired_at + self._overlap > now
        ]
        verifying: dict[str, ec.EllipticCurvePublicKey] = {}
        for k in published:
            private = serialization.load_pem_private_key(k.private_pem.encode(), password=None)
            assert isinstance(private, ec.EllipticCurvePrivateKey)
            verifying[k.kid] = private.public_key()
        signing_key = serialization.load_pem_private_key(signing.private_pem.encode(), None)
        assert isinstance(signing_key, ec.EllipticCurvePrivateKey)
        return _Loaded(
            signing=signing,
            signing_key=signing_key,
            verifying=verifying,
            jwks={"keys": [dict(k.public_jwk) for k in published]},
        )

    def _current(self) -> _Loaded:
        loaded = self._loaded
        last = self._reloaded_at
        if loaded is None or last is None or self._clock.now() - last > REFRESH_INTERVAL:
            with self._lock:
                last = self._reloaded_at
                if (
                    self._loaded is None
                    or last is None
                    or self._clock.now() - last > REFRESH_INTERVAL
                ):
                    self._reload_locked()
                loaded = self._loaded
        assert loaded is not None
        return loaded

    def _reload_locked(self) -> None:
        self._loaded = self._load()
        self._reloaded_at = self._clock.now()

    def reload(self) -> None:
        with self._lock:
            self._reload_locked()

    def sign(self, claims: dict[str, Any], *, typ: str = "at+jwt") -> str:
        loaded = self._current()
        return jwt.encode(
            claims,
            loaded.signing_key,
            algorithm=ALGORITHM,
            headers={"kid": loaded.signing.kid, "typ": typ},
        )

    def verification_key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        """Only keys of our own set; a ``kid`` is a dictionary key, never a path or query
        (RFC 8725 §3.10). An unknown kid reloads the set, for keys rotated by another process,
        at most once every few seconds so forged kids cannot make every request hit the store."""
        key = self._current().verifying.get(kid)
        if key is None and len(kid) <= 64:
            last = self._reloaded_at
            if last is None or self._clock.now() - last > RELOAD_INTERVAL:
                self.reload()
                key = self._current().verifying.get(kid)
        return key

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return self._current().jwks


def rotate_keys(store: Store, clock: Clock) -> SigningKey:
    """Make a new signing key; the previous ones stop signing and stay published."""
    now = clock.now()
    key = generate_key(now)
    with store.transaction() as tx:
        for old in tx.keys.list():
            if old.retired_at is None:
                tx.keys.retire(old.kid, now)
        tx.keys.add(key)
    return key
