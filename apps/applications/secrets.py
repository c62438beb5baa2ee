"""Client secrets: 256-bit random values shown once, stored as a keyed SHA-256.

A password hasher would cost hundreds of milliseconds on every token call; a
secret with 256 bits of entropy needs no stretching, only a keyed hash so a
database dump alone cannot be used to check guesses."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings


def _key() -> bytes:
    return hashlib.sha256(b"iam-client-secret:" + settings.IAM_MASTER_KEY.encode()).digest()


def client_secret_generate() -> tuple[str, str]:
    """A new secret and the hash to store: ``(plaintext, hash)``."""
    plaintext = secrets.token_urlsafe(32)
    return plaintext, client_secret_hash(plaintext)


def client_secret_hash(plaintext: str) -> str:
    return hmac.new(_key(), plaintext.encode("utf-8"), hashlib.sha256).hexdigest()


def client_secret_matches(stored_hash: str, plaintext: str) -> bool:
    if not stored_hash or not plaintext:
        return False
    return hmac.compare_digest(stored_hash, client_secret_hash(plaintext))
