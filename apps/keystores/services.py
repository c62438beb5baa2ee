"""Signing keys: create, rotate, retire, and the key that signs the next token.

Keys belong to the root organization (the tenant): every function accepts any
organization of a tree and works on its root's keys, as WSO2 signs the tokens
of sub-organizations with the tenant's key.

Rotation never breaks a token in flight: the new key signs from the moment the
rotation commits (in other processes within ``cache.ACTIVE_KEY_TTL_SECONDS``),
while the previous key stays in the JWKS as ``retiring`` for an overlap period
(``IAM_KEY_ROTATION_OVERLAP_SECONDS`` unless given) longer than any token it
signed lives. The hourly sweep ``keystore_retire_expired`` then retires it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto.jwk import JWK

from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit
from apps.keystores import cache, crypto
from apps.keystores.models import SigningKey
from apps.orgs.models import Organization

log = logging.getLogger(__name__)

PROTOCOLS = frozenset(SigningKey.Protocol.values)
ALGORITHMS = frozenset(SigningKey.Algorithm.values)
DEFAULT_ALGORITHM = SigningKey.Algorithm.RS256.value
DEFAULT_RSA_KEY_SIZE = 2048
# A retiring key may stay published for at most this long (90 days).
MAX_OVERLAP_SECONDS = 90 * 24 * 3600
RETIRE_BATCH = 500


@dataclass(frozen=True)
class ActiveSigningKey:
    """What a token signer needs: the private ``jwk`` (with ``kid``/``alg``/``use`` set)."""

    kid: str
    algorithm: str
    jwk: JWK


def _root(organization: Organization) -> Organization:
    return organization if organization.is_root else organization.root


def _check_protocol(protocol: Any) -> str:
    if protocol not in PROTOCOLS:
        raise InvalidInput(
            "KSM-60007",
            _("Unsupported protocol."),
            _("The protocol must be one of: %(choices)s.") % {"choices": ", ".join(sorted(PROTOCOLS))},
            field="protocol",
        )
    return protocol


def _check_key_spec(algorithm: Any, key_size: Any) -> tuple[str, int]:
    """The algorithm and key size to generate, or ``InvalidInput`` naming what is wrong."""
    if algorithm not in ALGORITHMS:
        raise InvalidInput(
            "KSM-60006",
            _("Unsupported signing algorithm."),
            _("The algorithm must be RS256 or ES256."),
            field="algorithm",
        )
    if key_size is not None and (not isinstance(key_size, int) or isinstance(key_size, bool)):
        raise InvalidInput("KSM-60004", _("The key size must be a whole number of bits."), field="keySize")
    if algorithm == crypto.ES256:
        if key_size not in (None, crypto.EC_P256_KEY_SIZE):
            raise InvalidInput(
                "KSM-60004",
                _("ES256 keys are EC P-256 keys of 256 bits; leave the key size out."),
                field="keySize",
            )
        return algorithm, crypto.EC_P256_KEY_SIZE
    key_size = DEFAULT_RSA_KEY_SIZE if key_size is None else key_size
    if key_size < crypto.RSA_MIN_KEY_SIZE:
        raise InvalidInput(
            "KSM-60003",
            _("RSA keys must be at least 2048 bits."),
            _("%(size)s-bit RSA keys are too weak to sign tokens.") % {"size": key_size},
            field="keySize",
        )
    if key_size not in crypto.RSA_KEY_SIZES:
        raise InvalidInput("KSM-60004", _("The RSA key size must be 2048, 3072 or 4096."), field="keySize")
    return algorithm, key_size


def _check_overlap(overlap_seconds: Any) -> int:
    if overlap_seconds is None:
        overlap_seconds = settings.IAM_KEY_ROTATION_OVERLAP_SECONDS
    if (
        not isinstance(overlap_seconds, int)
        or isinstance(overlap_seconds, bool)
        or not 0 <= overlap_seconds <= MAX_OVERLAP_SECONDS
    ):
        raise InvalidInput(
            "KSM-60005",
            _("The overlap must be between 0 and %(max)s seconds.") % {"max": MAX_OVERLAP_SECONDS},
            field="overlapSeconds",
        )
    return overlap_seconds


def _key_payload(key: SigningKey) -> dict[str, Any]:
    return {"kid": key.kid, "protocol": key.protocol, "algorithm": key.algorithm, "keySize": key.key_size}


def _active_key_conflict(protocol: str) -> Conflict:
    return Conflict(
        "KSM-60009",
        _("This organization already has an active %(protocol)s signing key; rotate it instead.")
        % {"protocol": protocol},
    )


def keystore_create_key(
    *,
    actor: Any,
    organization: Organization,
    protocol: str = SigningKey.Protocol.OAUTH,
    algorithm: str = DEFAULT_ALGORITHM,
    key_size: int | None = None,
) -> SigningKey:
    """Create the first, active signing key of the root organization for ``protocol``.

    ``key_size`` defaults to 2048 for RS256 and is 256 (P-256) for ES256.
    ``Conflict`` (KSM-60009) when an active key exists: use ``keystore_rotate``."""
    protocol = _check_protocol(protocol)
    algorithm, key_size = _check_key_spec(algorithm, key_size)
    root = _root(organization)
    # Generating an RSA key takes up to a second: do it before holding any lock.
    generated = crypto.key_generate(algorithm=algorithm, key_size=key_size)
    try:
        with transaction.atomic():
            if SigningKey.objects.for_org(root).filter(protocol=protocol, status=SigningKey.Status.ACTIVE).exists():
                raise _active_key_conflict(protocol)
            key = SigningKey.objects.create(
                organization=root,
                protocol=protocol,
                kid=generated.kid,
                algorithm=generated.algorithm,
                key_size=generated.key_size,
                public_jwk=generated.public_jwk,
                private_key_encrypted=generated.private_key_encrypted,
                status=SigningKey.Status.ACTIVE,
            )
            audit_record(
                actor=actor,
                action="keystore.create",
                target_type="signing_key",
                target_id=key.kid,
                organization=root,
                data=_key_payload(key),
            )
            emit("keystore.created", organization=root, payload=_key_payload(key))
    except IntegrityError as exc:  # a concurrent caller created it first (partial unique constraint)
        raise _active_key_conflict(protocol) from exc
    return key


def _active_row(*, root_id: Any, protocol: str) -> tuple[str, str, str] | None:
    return (
        SigningKey.objects.filter(organization_id=root_id, protocol=protocol, status=SigningKey.Status.ACTIVE)
        .values_list("kid", "algorithm", "private_key_encrypted")
        .first()
    )


def _create_first_key(*, organization: Organization, protocol: str) -> tuple[str, str, str]:
    """Lazily create the tenant's first key; a concurrent request that wins the race is fine."""
    try:
        key = keystore_create_key(actor=None, organization=organization, protocol=protocol)
    except Conflict:
        row = _active_row(root_id=organization.root_id, protocol=protocol)
        if row is None:  # the winner's transaction has not committed yet
            raise
        return row
    # Cache it only once it is durable: a rolled-back key must not sign tokens.
    cache_key = (organization.root_id, protocol)
    transaction.on_commit(lambda: cache.active_kids.put(cache_key, key.kid))
    return key.kid, key.algorithm, key.private_key_encrypted


def keystore_signing_key(*, organization: Organization, protocol: str = SigningKey.Protocol.OAUTH) -> ActiveSigningKey:
    """The key that signs the next token of ``organization``'s tenant for ``protocol``.

    Called on every token: with a warm cache it costs no query. The private key
    is parsed once per process and kid; which kid is active is re-read at most
    every ``cache.ACTIVE_KEY_TTL_SECONDS`` (the bound within which a rotation
    takes effect in every process). The first key (RS256, 2048 bits) is created
    on first use."""
    _check_protocol(protocol)
    cache_key = (organization.root_id, protocol)
    kid = cache.active_kids.get(cache_key)
    if kid is not None:
        active = cache.signing_keys.get(kid)
        if active is not None:
            return active
    row = _active_row(root_id=organization.root_id, protocol=protocol)
    created_now = row is None
    if created_now:
        row = _create_first_key(organization=organization, protocol=protocol)
    kid, algorithm, sealed = row
    active = cache.signing_keys.get(kid)
    if active is None:
        active = ActiveSigningKey(
            kid=kid, algorithm=algorithm, jwk=crypto.signing_jwk(sealed=sealed, kid=kid, algorithm=algorithm)
        )
        cache.signing_keys.put(kid, active)
    if not created_now:  # a key created here is cached on commit (``_create_first_key``)
        cache.active_kids.put(cache_key, kid)
    return active


def _forget(*, root_id: Any, protocol: str, kids: list[str]) -> None:
    """Drop this process's cached view of a tenant's keys (other processes follow within the TTL)."""
    cache.active_kids.discard((root_id, protocol))
    for kid in kids:
        cache.verification_keys.discard(kid)


def keystore_rotate(
    *,
    actor: Any,
    organization: Organization,
    protocol: str = SigningKey.Protocol.OAUTH,
    algorithm: str | None = None,
    key_size: int | None = None,
    overlap_seconds: int | None = None,
) -> SigningKey:
    """Make a new key active; the previous active key keeps verifying for ``overlap_seconds``.

    ``algorithm``/``key_size`` default to the current key's. ``overlap_seconds=0``
    retires the previous key at once (a compromised key): tokens it signed stop
    verifying."""
    protocol = _check_protocol(protocol)
    overlap = _check_overlap(overlap_seconds)
    root = _root(organization)
    current = SigningKey.objects.for_org(root).filter(protocol=protocol, status=SigningKey.Status.ACTIVE).first()
    if algorithm is None:
        algorithm = current.algorithm if current is not None else DEFAULT_ALGORITHM
    if key_size is None and current is not None and current.algorithm == algorithm:
        key_size = current.key_size
    algorithm, key_size = _check_key_spec(algorithm, key_size)
    generated = crypto.key_generate(algorithm=algorithm, key_size=key_size)
    try:
        with transaction.atomic():
            previous = (
                SigningKey.objects.select_for_update()
                .for_org(root)
                .filter(protocol=protocol, status=SigningKey.Status.ACTIVE)
                .first()
            )
            now = timezone.now()
            if previous is not None:
                previous.status = SigningKey.Status.RETIRED if overlap == 0 else SigningKey.Status.RETIRING
                previous.retire_after = now + timedelta(seconds=overlap)
                previous.save(update_fields=["status", "retire_after"])
            key = SigningKey.objects.create(
                organization=root,
                protocol=protocol,
                kid=generated.kid,
                algorithm=generated.algorithm,
                key_size=generated.key_size,
                public_jwk=generated.public_jwk,
                private_key_encrypted=generated.private_key_encrypted,
                status=SigningKey.Status.ACTIVE,
            )
            payload = {
                **_key_payload(key),
                "previousKid": previous.kid if previous is not None else None,
                "previousRetireAfter": previous.retire_after.isoformat() if previous is not None else None,
            }
            audit_record(
                actor=actor,
                action="keystore.rotate",
                target_type="signing_key",
                target_id=key.kid,
                organization=root,
                data={**payload, "overlapSeconds": overlap},
            )
            emit("keystore.rotated", organization=root, payload=payload)
    except IntegrityError as exc:  # another rotation committed between our read and our insert
        raise Conflict(
            "KSM-60009", _("The signing key was rotated by someone else at the same moment; try again.")
        ) from exc
    old_kids = [previous.kid] if previous is not None else []
    transaction.on_commit(lambda: _forget(root_id=root.pk, protocol=protocol, kids=old_kids))
    return key


def keystore_retire_expired(*, now: datetime | None = None) -> int:
    """Sweep: retiring keys past ``retire_after`` become ``retired``. Returns how many."""
    now = now or timezone.now()
    due = list(
        SigningKey.objects.filter(status=SigningKey.Status.RETIRING, retire_after__lte=now)
        .select_related("organization")
        .defer("private_key_encrypted")
        .order_by("retire_after")[:RETIRE_BATCH]
    )
    retired = 0
    for key in due:
        with transaction.atomic():
            # Conditional update: two sweeps running at once retire (and report) a key only once.
            if not SigningKey.objects.filter(pk=key.pk, status=SigningKey.Status.RETIRING).update(
                status=SigningKey.Status.RETIRED
            ):
                continue
            audit_record(
                actor=None,
                action="keystore.retire",
                target_type="signing_key",
                target_id=key.kid,
                organization=key.organization,
                data=_key_payload(key),
            )
            emit("keystore.retired", organization=key.organization, payload=_key_payload(key))
        retired += 1
    if retired:
        log.info("keystores: retired %s signing key(s)", retired)
    return retired
