"""PKCE (RFC 7636), S256 only: ``plain`` offers no protection against a leaked
authorization request and OAuth 2.1 / MCP clients never need it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

S256 = "S256"
_VALUE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.1 / §4.2


def challenge_valid(challenge: str) -> bool:
    return bool(_VALUE.match(challenge))


def verifier_matches(verifier: str, challenge: str) -> bool:
    if not _VALUE.match(verifier):
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed, challenge)
