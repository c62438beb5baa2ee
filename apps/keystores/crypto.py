"""Key material: generation, encryption at rest, JWK forms.

Private keys never leave this module in clear except as a parsed ``JWK`` for
signing. At rest a private key is its PKCS#8 PEM sealed with AES-256-GCM under
the deployment's master key (``settings.IAM_MASTER_KEY``): a fresh 96-bit nonce
per key, the ``kid`` as associated data (a ciphertext copied onto another key's
row fails to decrypt), stored as ``base64(nonce || ciphertext)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwcrypto.jwk import JWK

RS256 = "RS256"
ES256 = "ES256"
RSA_KEY_SIZES = (2048, 3072, 4096)
RSA_MIN_KEY_SIZE = 2048
EC_P256_KEY_SIZE = 256
NONCE_BYTES = 12

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class KeyDecryptionError(Exception):
    """The sealed key does not open: wrong master key, wrong kid, or tampered data."""


@dataclass(frozen=True)
class GeneratedKey:
    kid: str
    algorithm: str
    key_size: int
    public_jwk: dict[str, str]
    private_key_encrypted: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def _master_key() -> bytes:
    try:
        key = base64.b64decode(settings.IAM_MASTER_KEY, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ImproperlyConfigured("IAM_MASTER_KEY must be base64 of 32 random bytes") from exc
    if len(key) != 32:
        raise ImproperlyConfigured("IAM_MASTER_KEY must be base64 of 32 random bytes")
    return key


def generate_private_key(*, algorithm: str, key_size: int) -> PrivateKey:
    """A new RSA (``RS256``, ``key_size`` bits) or EC P-256 (``ES256``) private key."""
    if algorithm == RS256:
        if key_size not in RSA_KEY_SIZES:
            raise ValueError(f"unsupported RSA key size {key_size}")
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if algorithm == ES256:
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unsupported algorithm {algorithm}")


def public_jwk_members(private_key: PrivateKey) -> dict[str, str]:
    """The RFC 7638 required members of the public key (what the thumbprint covers)."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        numbers = private_key.public_key().public_numbers()
        return {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
    point = private_key.public_key().public_numbers()
    size = (private_key.curve.key_size + 7) // 8  # fixed-width coordinates (RFC 7518 §6.2.1.2)
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(point.x.to_bytes(size, "big")),
        "y": _b64url(point.y.to_bytes(size, "big")),
    }


def jwk_thumbprint(members: dict[str, str]) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url: URL-safe and stable for the key's lifetime."""
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def private_key_pem(private_key: PrivateKey) -> bytes:
    return private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def encrypt_private_key(pem: bytes, *, kid: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_master_key()).encrypt(nonce, pem, kid.encode("utf-8"))
    return base64.b64encode(nonce + sealed).decode("ascii")


def decrypt_private_key(sealed: str, *, kid: str) -> bytes:
    try:
        raw = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyDecryptionError("the sealed key is not base64") from exc
    if len(raw) <= NONCE_BYTES:
        raise KeyDecryptionError("the sealed key is truncated")
    try:
        return AESGCM(_master_key()).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], kid.encode("utf-8"))
    except InvalidTag as exc:
        raise KeyDecryptionError(f"cannot decrypt the private key {kid}") from exc


def key_generate(*, algorithm: str, key_size: int) -> GeneratedKey:
    """A fresh key pair: kid, public JWK and the sealed private key, ready to store."""
    private_key = generate_private_key(algorithm=algorithm, key_size=key_size)
    members = public_jwk_members(private_key)
    kid = jwk_thumbprint(members)
    return GeneratedKey(
        kid=kid,
        algorithm=algorithm,
        key_size=key_size if algorithm == RS256 else EC_P256_KEY_SIZE,
        public_jwk={**members, "kid": kid, "use": "sig", "alg": algorithm},
        private_key_encrypted=encrypt_private_key(private_key_pem(private_key), kid=kid),
    )


def signing_jwk(*, sealed: str, kid: str, algorithm: str) -> JWK:
    """The private key as a jwcrypto ``JWK`` carrying ``kid``/``alg``/``use`` (for JWS headers).

    Costly for RSA (~30 ms: the key is validated once); callers cache the result per kid."""
    pem = decrypt_private_key(sealed, kid=kid)
    # GCM already authenticated the PEM as one we generated, so the loader's RSA
    # check is skipped here; jwcrypto validates the key once when it first builds
    # its signing key, which the warm-up below does now rather than on a token
    # (and before the key is shared between threads through the cache).
    private_key = serialization.load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    members = JWK.from_pyca(private_key).export_private(as_dict=True)
    key = JWK(**{**members, "kid": kid, "alg": algorithm, "use": "sig"})
    key.get_op_key("sign")
    return key


def verification_jwk(public_jwk: dict[str, Any]) -> JWK:
    return JWK(**public_jwk)
