"""Sealing of sender secrets and message payloads, and keyed hashes of codes and link secrets.

Sealing reuses the keystores scheme (AES-256-GCM under ``IAM_MASTER_KEY`` with associated
data binding the ciphertext to its row and field). Hashing uses HMAC-SHA256 with a key derived
from the master key for this purpose only, so a database dump alone cannot test guesses."""

from __future__ import annotations

import hashlib
import hmac

from apps.keystores.crypto import KeyDecryptionError, _master_key, decrypt_private_key, encrypt_private_key

__all__ = ["SealedSecretError", "code_hash", "codes_equal", "open_secret", "seal_secret"]

SealedSecretError = KeyDecryptionError


def seal_secret(value: str, *, context: str) -> str:
    """``value`` sealed for storage; ``context`` names the row and field it belongs to."""
    if not value:
        return ""
    return encrypt_private_key(value.encode("utf-8"), kid=f"notifications:{context}")


def open_secret(sealed: str, *, context: str) -> str:
    if not sealed:
        return ""
    return decrypt_private_key(sealed, kid=f"notifications:{context}").decode("utf-8")


def _hash_key() -> bytes:
    return hmac.new(_master_key(), b"iam-notifications-code-hash-v1", hashlib.sha256).digest()


def code_hash(*parts: str) -> str:
    """Keyed hash of a code (or link secret) bound to its record, purpose and user."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()


def codes_equal(expected_hash: str, candidate_hash: str) -> bool:
    return hmac.compare_digest(expected_hash.encode("ascii"), candidate_hash.encode("ascii"))
