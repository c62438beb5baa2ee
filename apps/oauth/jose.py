"""JWS signing and verification with the tenant's keys (``apps.keystores``).

Signing builds the compact JWS directly (RFC 7515 §7.1) with the key's
``cryptography`` object: jwcrypto's JWS object costs more than the RSA
signature itself on the token hot path. Verification, which is not hot, uses
jwcrypto; the tests verify every token we sign with jwcrypto too."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwcrypto import jws
from jwcrypto.common import JWException

from apps.keystores.selectors import keystore_verification_key
from apps.keystores.services import keystore_signing_key

SIGNING_ALGORITHMS = ("RS256", "ES256")


_headers: dict[tuple[str, str, str], str] = {}  # (alg, kid, typ) -> encoded protected header


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _encoded_header(alg: str, kid: str, typ: str) -> str:
    encoded = _headers.get((alg, kid, typ))
    if encoded is None:
        encoded = _b64(json.dumps({"alg": alg, "kid": kid, "typ": typ}, separators=(",", ":")).encode())
        if len(_headers) > 1024:
            _headers.clear()
        _headers[(alg, kid, typ)] = encoded
    return encoded


def _signature(alg: str, private_key: Any, signing_input: bytes) -> bytes:
    if alg == "RS256":
        return private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256":  # JWS wants r || s, 32 bytes each (RFC 7518 §3.4), not DER
        r, s = decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise ValueError(f"unsupported signing algorithm {alg}")


def jwt_sign(claims: dict[str, Any], *, organization: Any, typ: str = "JWT") -> tuple[str, str]:
    """A compact JWS of ``claims`` signed with the tenant's active OAuth key: ``(token, alg)``."""
    key = keystore_signing_key(organization=organization, protocol="oauth")
    header = _encoded_header(key.algorithm, key.kid, typ)
    signing_input = f"{header}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    signature = _signature(key.algorithm, key.jwk.get_op_key("sign"), signing_input.encode("ascii"))
    return f"{signing_input}.{_b64(signature)}", key.algorithm


def signing_algorithm(*, organization: Any) -> str:
    return keystore_signing_key(organization=organization, protocol="oauth").algorithm


def jwt_verify(token: str, *, organization: Any) -> dict[str, Any] | None:
    """The claims of a JWT signed by one of the tenant's keys, or None. Time claims are not checked."""
    if not token or len(token) > 16_384 or token.count(".") != 2:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[0] + "=="))
        kid = header.get("kid") if isinstance(header, dict) else None
        key = keystore_verification_key(organization=organization, kid=kid, protocol="oauth")
        if key is None or header.get("alg") not in SIGNING_ALGORITHMS:
            return None
        parsed = jws.JWS()
        parsed.allowed_algs = list(SIGNING_ALGORITHMS)
        parsed.deserialize(token, key=key)
        claims = json.loads(parsed.payload)
    except (JWException, ValueError, TypeError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def token_hash(value: str) -> str:
    """OIDC ``at_hash``: the left half of the SHA-256 of the ASCII token, base64url.

    SHA-256 is the hash of both algorithms we sign with (RS256, ES256)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")
