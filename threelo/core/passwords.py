"""Password hashing with argon2id (RFC 9106; OWASP Password Storage Cheat Sheet).

Sign-in for an unknown e-mail verifies against a dummy hash of the same cost
(:func:`burn_time`), so the response time does not tell whether an account exists
(OWASP Authentication Cheat Sheet, "authentication responses"; CWE-208).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; a bound keeps sign-in cheap to refuse

_hasher = PasswordHasher()
_dummy_hash: str | None = None  # made on first use, at the current cost


def configure(time_cost: int, memory_cost: int) -> None:
    """Change the argon2 cost (tests use a cheap one); existing hashes keep verifying."""
    global _hasher, _dummy_hash
    parallelism = max(1, min(4, memory_cost // 8))  # argon2 needs 8 KiB per lane
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _dummy_hash = None


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be set (one line), or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH or "\x00" in password:
        return f"password must be at most {MAX_LENGTH} characters, without NUL"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False for a mismatch or a malformed hash."""
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    try:
        return bool(_hasher.check_needs_rehash(password_hash))
    except InvalidHashError:
        return True


def burn_time(password: str = "") -> None:
    """Spend as long as one verification, for a sign-in attempt with an unknown e-mail."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password or "x")
