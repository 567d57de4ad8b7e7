"""RFC 7636 Proof Key for Code Exchange, S256 only (RFC 9700 §2.1.1)."""

from __future__ import annotations

import base64
import hashlib
import secrets

__all__ = ["code_challenge", "new_code_verifier"]

_VERIFIER_BYTES = 48  # 384 bits of entropy, 64 characters: within RFC 7636 §4.1's 43-128


def new_code_verifier() -> str:
    """A fresh verifier from the unreserved alphabet ``[A-Za-z0-9-._~]`` (RFC 7636 §4.1)."""
    return secrets.token_urlsafe(_VERIFIER_BYTES)


def code_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(ASCII(verifier)))`` without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
