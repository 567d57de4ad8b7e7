"""The app's own users. Passwords are kept as scrypt hashes and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


class LocalUsers:
    def __init__(self, passwords: Mapping[str, str]) -> None:
        self._hashes: dict[str, tuple[bytes, bytes]] = {}
        for name, password in passwords.items():
            salt = secrets.token_bytes(16)
            self._hashes[name] = (salt, _hash(password, salt))
        self._dummy_salt = secrets.token_bytes(16)

    def verify(self, name: str, password: str) -> bool:
        salt, expected = self._hashes.get(name, (self._dummy_salt, b""))
        return hmac.compare_digest(_hash(password, salt), expected) and name in self._hashes
