"""private_key_jwt client authentication (RFC 7523 §2.2 and §3, OIDC Core §9).

The client signs a short-lived JWT with a private key whose public half is in
its registered JWKS (``Application.jwks``): ``iss`` and ``sub`` are its
client_id, ``aud`` names this server (the issuer, which is also the token
endpoint, or the URL of the endpoint called), ``exp`` bounds it and ``jti``
makes it single-use. Only asymmetric algorithms are accepted (never ``none``
or HMAC, which would need a shared secret), and only keys of the JWKS the
client registered: ``jku``/``x5u``/``jwk`` headers are never followed.

This module checks an assertion; ``apps.oauth.clients`` decides which client
it is for and records the ``jti`` through ``apps.oauth.replay``."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from apps.oauth.cache import TTLCache
from apps.oauth.errors import OAuthError, invalid_client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
MIN_RSA_BITS = 2048
MAX_ASSERTION_LENGTH = 8192
MAX_JTI_LENGTH = 256
CLOCK_SKEW_SECONDS = 60

_keysets = TTLCache(max_entries=2_000, ttl_seconds=300.0)


def max_lifetime() -> int:
    """How far ahead ``exp`` may be (an hour: Authlib signs for that long); it bounds how long a ``jti`` is kept."""
    return int(getattr(settings, "IAM_OAUTH_CLIENT_ASSERTION_MAX_LIFETIME_SECONDS", 3600))


@dataclass(frozen=True)
class VerifiedAssertion:
    jti: str
    expires_at: int  # seconds since the epoch


def _segment(assertion: str, index: int) -> dict[str, Any]:
    try:
        part = assertion.split(".")[index]
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, TypeError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def assertion_subject(assertion: str) -> str:
    """The client_id an assertion claims to come from (its ``sub``, not yet verified), to find its keys."""
    if not assertion or len(assertion) > MAX_ASSERTION_LENGTH or assertion.count(".") != 2:
        return ""
    sub = _segment(assertion, 1).get("sub")
    return sub if isinstance(sub, str) and len(sub) <= 100 else ""


def _keyset(jwks: dict[str, Any], cache_key: object) -> list[jwk.JWK]:
    keys = _keysets.get(cache_key)
    if keys is None:
        keys = []
        for member in jwks.get("keys", []) if isinstance(jwks, dict) else []:
            try:
                keys.append(jwk.JWK(**member))
            except (JWException, ValueError, TypeError):  # validated when stored; skip rather than fail
                continue
        _keysets.put(cache_key, keys)
    return keys


def _usable(key: jwk.JWK, alg: str, kid: Any) -> bool:
    if kid is not None and key.get("kid") != kid:
        return False
    if key.get("use", "sig") != "sig" or key.get("alg", alg) != alg or key.has_private:
        return False
    if key.get("kty") != _KEY_TYPES[alg[:2]]:
        return False
    if alg in _CURVES and key.get("crv") != _CURVES[alg]:
        return False
    if key.get("kty") == "RSA":
        return key.get_op_key("verify").key_size >= MIN_RSA_BITS
    return True


def _verified_payload(assertion: str, alg: str, keys: list[jwk.JWK]) -> dict[str, Any]:
    for key in keys:
        parsed = jws.JWS()
        parsed.allowed_algs = [alg]
        try:
            parsed.deserialize(assertion, key=key, alg=alg)
            payload = json.loads(parsed.payload)
        except (JWException, ValueError, TypeError, UnicodeDecodeError):
            continue
        if isinstance(payload, dict):
            return payload
    raise invalid_client("The client assertion signature does not verify with the client's registered keys.")


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid_client(f"The client assertion's {name} must be a number.")
    return float(value)


def _check_claims(claims: dict[str, Any], *, client_id: str, audiences: Collection[str], now: float) -> None:
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise invalid_client("The client assertion's iss and sub must both be the client_id.")
    aud = claims.get("aud")
    named = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(isinstance(value, str) and value in audiences for value in named):
        raise invalid_client("The client assertion's aud must name this authorization server.")
    exp = _number(claims, "exp")
    if exp is None:
        raise invalid_client("The client assertion needs an exp claim.")
    if exp <= now - CLOCK_SKEW_SECONDS:
        raise invalid_client("The client assertion has expired.")
    if exp > now + max_lifetime() + CLOCK_SKEW_SECONDS:
        raise invalid_client(f"The client assertion may be valid for at most {max_lifetime()} seconds.")
    nbf, iat = _number(claims, "nbf"), _number(claims, "iat")
    if (nbf is not None and nbf > now + CLOCK_SKEW_SECONDS) or (iat is not None and iat > now + CLOCK_SKEW_SECONDS):
        raise invalid_client("The client assertion is not valid yet.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise invalid_client("The client assertion needs a jti claim.")


def client_assertion_verify(
    assertion: str,
    *,
    client_id: str,
    jwks: dict[str, Any],
    cache_key: object,
    audiences: Collection[str],
    now: float,
) -> VerifiedAssertion:
    """Check signature and claims of ``assertion`` for ``client_id``; ``invalid_client`` otherwise.

    ``cache_key`` identifies this version of the client's JWKS (parsed keys are cached by it)."""
    if not assertion or len(assertion) > MAX_ASSERTION_LENGTH or assertion.count(".") != 2:
        raise OAuthError("invalid_request", "client_assertion must be a compact JWS.")
    header = _segment(assertion, 0)
    alg = header.get("alg")
    if alg not in ASSERTION_ALGORITHMS:
        raise invalid_client(f"The client assertion must be signed with one of {', '.join(ASSERTION_ALGORITHMS)}.")
    keys = [key for key in _keyset(jwks, cache_key) if _usable(key, alg, header.get("kid"))]
    if not keys:
        raise invalid_client("No registered key of the client matches the client assertion.")
    claims = _verified_payload(assertion, alg, keys)
    _check_claims(claims, client_id=client_id, audiences=audiences, now=now)
    return VerifiedAssertion(jti=claims["jti"], expires_at=int(claims["exp"]))
