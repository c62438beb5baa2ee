"""Test helpers for OAuth requests and JWT checks (independent of the server's own code)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client
from jwcrypto import jwk, jws


def form_post(client: Client, url: str, data: dict[str, Any] | list[tuple[str, str]], **extra: Any) -> Any:
    return client.post(url, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded", **extra)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, unverified."""
    header, payload, _sig = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(payload)))


def jwt_verified_claims(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify ``token`` against a JWK Set with jwcrypto and return its claims."""
    keyset = jwk.JWKSet.from_json(json.dumps(jwks))
    header, _ = jwt_parts(token)
    key = keyset.get_key(header["kid"])
    assert key is not None, "kid not in the JWKS"
    parsed = jws.JWS()
    parsed.deserialize(token, key=key)
    return json.loads(parsed.payload)
