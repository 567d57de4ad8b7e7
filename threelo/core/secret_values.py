"""Random secrets, their digests and constant-time comparison.

Codes, refresh tokens, client secrets and session ids are 256-bit CSPRNG values (RFC 6749
§10.10, RFC 6819 §5.1.4.2.2) in the URL-safe alphabet, and are stored only as SHA-256 digests
(RFC 6819 §5.1.4.1.3): a stolen database yields nothing usable. A slow password hash adds
nothing for values of this entropy, and would cost milliseconds on every token request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def new_id() -> str:
    return secrets.token_hex(16)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def matches(value: str, expected_digest: str) -> bool:
    """Constant-time check of ``value`` against a stored digest (CWE-208)."""
    return hmac.compare_digest(digest(value), expected_digest)


def equal(a: str, b: str) -> bool:
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )
