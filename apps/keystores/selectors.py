"""Reads of signing keys: the published JWKS, verification keys, listings.

Nothing here returns private material: listings defer the sealed private key
and the JWKS keeps only public JWK members."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from jwcrypto.jwk import JWK

from apps.keystores import cache, crypto
from apps.keystores.models import SigningKey
from apps.orgs.models import Organization

# The members a published signing key may carry (RFC 7517/7518); anything else is dropped.
PUBLIC_JWK_MEMBERS = frozenset({"kty", "use", "alg", "kid", "n", "e", "crv", "x", "y"})
MAX_KID_LENGTH = SigningKey._meta.get_field("kid").max_length


def jwk_public_members(jwk: dict[str, Any]) -> dict[str, Any]:
    """Only the members a public signing JWK may carry."""
    return {name: value for name, value in jwk.items() if name in PUBLIC_JWK_MEMBERS}


def keystore_list(*, organization: Organization, protocol: str | None = None) -> QuerySet[SigningKey]:
    """Every key of ``organization``'s tenant (all statuses), by protocol then newest first."""
    qs = SigningKey.objects.for_org(organization).defer("private_key_encrypted")
    if protocol is not None:
        qs = qs.filter(protocol=protocol)
    return qs.order_by("protocol", "-created", "kid")


def keystore_jwks(*, organization: Organization, protocol: str = SigningKey.Protocol.OAUTH) -> dict[str, Any]:
    """The JWK Set to publish: the active key first, then retiring keys still in their overlap."""
    rows = (
        SigningKey.objects.for_org(organization)
        .filter(protocol=protocol)
        .publishable(timezone.now())
        .values_list("status", "public_jwk")
        .order_by("-created", "kid")
    )
    ordered = sorted(rows, key=lambda row: row[0] != SigningKey.Status.ACTIVE)  # stable: newest first otherwise
    return {"keys": [jwk_public_members(jwk) for _status, jwk in ordered]}


def keystore_verification_key(
    *, organization: Organization, kid: Any, protocol: str = SigningKey.Protocol.OAUTH
) -> JWK | None:
    """The public key to verify a JWT we signed, or None when ``kid`` is not one of the
    tenant's keys for ``protocol`` that may verify now (active, or retiring within its overlap).

    Cached per process for at most ``cache.ACTIVE_KEY_TTL_SECONDS``; the end of an
    overlap is honoured exactly, an immediate retirement (zero overlap) within the TTL."""
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
        return None
    entry = cache.verification_keys.get(kid)
    if entry is None:
        row = (
            SigningKey.objects.filter(kid=kid)
            .publishable(timezone.now())
            .values_list("organization_id", "protocol", "public_jwk", "retire_after")
            .first()
        )
        if row is None:  # unknown kids are not cached: a caller cannot fill the cache with them
            return None
        organization_id, key_protocol, public_jwk, retire_after = row
        entry = (organization_id, key_protocol, crypto.verification_jwk(jwk_public_members(public_jwk)), retire_after)
        cache.verification_keys.put(kid, entry)
    organization_id, key_protocol, key, retire_after = entry
    if organization_id != organization.root_id or key_protocol != protocol:
        return None
    if retire_after is not None and retire_after <= timezone.now():
        return None
    return key
