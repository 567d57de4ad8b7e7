"""PKCE (RFC 7636) with S256 only (RFC 9700 §2.1.1)."""

from __future__ import annotations

import base64
import hashlib
import re

from threelo.core.secret_values import equal

# RFC 7636 §4.1: 43–128 characters of the unreserved alphabet.
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# A S256 challenge is BASE64URL(SHA-256(verifier)) without padding: exactly 43 characters.
CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def valid_verifier(verifier: str) -> bool:
    return VERIFIER.fullmatch(verifier) is not None


def valid_challenge(challenge: str) -> bool:
    return CHALLENGE.fullmatch(challenge) is not None


def s256(verifier: str) -> str:
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def verify(verifier: str, challenge: str) -> bool:
    return valid_verifier(verifier) and equal(s256(verifier), challenge)
