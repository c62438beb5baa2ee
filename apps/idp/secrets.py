"""Sealing of IdP client secrets (AES-256-GCM under ``IAM_MASTER_KEY``, bound to the IdP row)."""

from __future__ import annotations

from apps.keystores.crypto import KeyDecryptionError, decrypt_private_key, encrypt_private_key

__all__ = ["SealedSecretError", "client_secret_open", "client_secret_seal"]

SealedSecretError = KeyDecryptionError


def client_secret_seal(value: str, *, idp_id: object) -> str:
    if not value:
        return ""
    return encrypt_private_key(value.encode("utf-8"), kid=f"idp:{idp_id}:client_secret")


def client_secret_open(sealed: str, *, idp_id: object) -> str:
    if not sealed:
        return ""
    return decrypt_private_key(sealed, kid=f"idp:{idp_id}:client_secret").decode("utf-8")
