"""Signing keys through the services: lazy first key, rotation with overlap, the sweep, isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from jwcrypto.jwt import JWTMissingKey

from apps.core.errors import Conflict, InvalidInput
from apps.core.models import AuditLog, OutboxEvent
from apps.keystores import services
from apps.keystores.models import SigningKey
from apps.keystores.selectors import keystore_jwks, keystore_list, keystore_verification_key
from apps.keystores.services import (
    keystore_create_key,
    keystore_retire_expired,
    keystore_rotate,
    keystore_signing_key,
)
from apps.orgs.models import Organization
from tests.keystores.conftest import sign, verify_with_jwks

pytestmark = pytest.mark.django_db


def kids(jwks: dict[str, Any]) -> list[str]:
    return [key["kid"] for key in jwks["keys"]]


def test_first_signing_key_is_created_lazily(root_org: Organization) -> None:
    assert not SigningKey.objects.exists()
    assert keystore_jwks(organization=root_org) == {"keys": []}

    active = keystore_signing_key(organization=root_org)

    key = SigningKey.objects.get()
    assert (key.organization, key.protocol, key.status) == (root_org, "oauth", "active")
    assert (key.algorithm, key.key_size) == ("RS256", 2048)
    assert (active.kid, active.algorithm) == (key.kid, "RS256")
    assert active.jwk.has_private
    assert active.jwk["kid"] == key.kid
    assert kids(keystore_jwks(organization=root_org)) == [key.kid]
    audit = AuditLog.objects.get(action="keystore.create")
    assert (audit.actor_type, audit.target_id, audit.organization_id) == ("system", key.kid, root_org.pk)
    event = OutboxEvent.objects.get(event_type="keystore.created")
    assert event.payload == {"kid": key.kid, "protocol": "oauth", "algorithm": "RS256", "keySize": 2048}
    # The same key signs the next token; no second key appears.
    assert keystore_signing_key(organization=root_org).kid == key.kid
    assert SigningKey.objects.count() == 1


def test_sub_organizations_sign_with_the_root_key(root_org: Organization, engineering: Organization) -> None:
    active = keystore_signing_key(organization=engineering)
    key = SigningKey.objects.get()
    assert key.organization == root_org
    assert keystore_signing_key(organization=root_org).kid == active.kid
    assert kids(keystore_jwks(organization=engineering)) == [active.kid]
    assert keystore_verification_key(organization=engineering, kid=active.kid) is not None


def test_lazy_creation_survives_losing_the_race(root_org: Organization) -> None:
    """Another request created the first key between our read and our insert: use theirs."""
    theirs = keystore_create_key(actor=None, organization=root_org)
    real_active_row = services._active_row
    calls: list[int] = []

    def stale_then_real(**kwargs: Any) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else real_active_row(**kwargs)

    with mock.patch.object(services, "_active_row", side_effect=stale_then_real):
        active = keystore_signing_key(organization=root_org)
    assert active.kid == theirs.kid
    assert SigningKey.objects.count() == 1


def test_the_constraint_turns_a_concurrent_create_into_a_conflict(root_org: Organization) -> None:
    keystore_create_key(actor=None, organization=root_org)
    with mock.patch.object(SigningKey.objects, "for_org") as for_org:
        for_org.return_value.filter.return_value.exists.return_value = False  # the check ran before theirs committed
        with pytest.raises(Conflict) as exc:
            keystore_create_key(actor=None, organization=root_org)
    assert exc.value.code == "KSM-60009"
    assert SigningKey.objects.count() == 1
    second = SigningKey(
        organization=root_org, protocol="oauth", kid="x", public_jwk={}, private_key_encrypted="", status="active"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_create_key_refuses_a_second_active_key(root_org: Organization) -> None:
    keystore_create_key(actor=None, organization=root_org, protocol="saml", algorithm="ES256")
    with pytest.raises(Conflict) as exc:
        keystore_create_key(actor=None, organization=root_org, protocol="saml")
    assert exc.value.code == "KSM-60009"
    # Other protocols are independent.
    keystore_create_key(actor=None, organization=root_org, protocol="oauth")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"key_size": 1024}, "KSM-60003"),
        ({"key_size": 512}, "KSM-60003"),
        ({"key_size": 2047}, "KSM-60003"),
        ({"key_size": 5000}, "KSM-60004"),
        ({"key_size": 2500}, "KSM-60004"),
        ({"key_size": True}, "KSM-60004"),
        ({"algorithm": "ES256", "key_size": 2048}, "KSM-60004"),
        ({"algorithm": "HS256"}, "KSM-60006"),
        ({"algorithm": "none"}, "KSM-60006"),
        ({"protocol": "kerberos"}, "KSM-60007"),
    ],
)
def test_weak_or_unknown_key_specs_are_refused(root_org: Organization, kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        keystore_create_key(actor=None, organization=root_org, **kwargs)
    assert exc.value.code == code
    with pytest.raises(InvalidInput) as exc:
        keystore_rotate(actor=None, organization=root_org, **kwargs)
    assert exc.value.code == code
    assert not SigningKey.objects.exists()


def test_rsa_1024_is_refused_with_its_own_code(root_org: Organization) -> None:
    with pytest.raises(InvalidInput) as exc:
        keystore_create_key(actor=None, organization=root_org, algorithm="RS256", key_size=1024)
    assert (exc.value.code, exc.value.field) == ("KSM-60003", "keySize")
    assert "2048" in exc.value.message


@pytest.mark.parametrize("overlap", [-1, 90 * 24 * 3600 + 1, 1.5, "60", True])
def test_bad_overlap_is_refused(root_org: Organization, overlap: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        keystore_rotate(actor=None, organization=root_org, overlap_seconds=overlap)
    assert (exc.value.code, exc.value.field) == ("KSM-60005", "overlapSeconds")


def test_rotation_keeps_the_old_key_published_until_retire_after(root_org: Organization, admin_user: Any) -> None:
    old = keystore_signing_key(organization=root_org)
    token = sign(old.jwk, kid=old.kid, algorithm=old.algorithm, claims={"sub": "alice", "n": 1})
    before = timezone.now()

    new = keystore_rotate(actor=admin_user, organization=root_org, overlap_seconds=3600)

    previous = SigningKey.objects.get(kid=old.kid)
    assert previous.status == "retiring"
    assert before + timedelta(seconds=3600) <= previous.retire_after <= timezone.now() + timedelta(seconds=3600)
    assert (new.status, new.algorithm, new.key_size) == ("active", "RS256", 2048)
    # Both published, the active key first; the old token still verifies against the JWKS.
    jwks = keystore_jwks(organization=root_org)
    assert kids(jwks) == [new.kid, old.kid]
    assert verify_with_jwks(token, jwks) == {"sub": "alice", "n": 1}
    assert keystore_verification_key(organization=root_org, kid=old.kid) is not None

    audit = AuditLog.objects.get(action="keystore.rotate")
    assert (audit.actor_type, audit.actor_id, audit.target_id) == ("user", str(admin_user.pk), new.kid)
    assert audit.data["previousKid"] == old.kid
    assert audit.data["overlapSeconds"] == 3600
    event = OutboxEvent.objects.get(event_type="keystore.rotated")
    assert event.organization_id == root_org.pk
    assert event.payload["kid"] == new.kid
    assert event.payload["previousKid"] == old.kid
    assert "private" not in str(event.payload).lower()

    # An hour later the old key has left the JWKS, even before the sweep marks it retired.
    later = timezone.now() + timedelta(seconds=3601)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert kids(keystore_jwks(organization=root_org)) == [new.kid]
        assert keystore_verification_key(organization=root_org, kid=old.kid) is None
        assert keystore_retire_expired() == 1
        assert keystore_retire_expired() == 0  # idempotent
    assert SigningKey.objects.get(kid=old.kid).status == "retired"
    assert kids(keystore_jwks(organization=root_org)) == [new.kid]
    assert OutboxEvent.objects.filter(event_type="keystore.retired").count() == 1
    assert AuditLog.objects.filter(action="keystore.retire", target_id=old.kid).count() == 1
    with pytest.raises(JWTMissingKey):
        verify_with_jwks(token, keystore_jwks(organization=root_org))


def test_the_sweep_leaves_keys_inside_their_overlap_alone(root_org: Organization) -> None:
    first = keystore_create_key(actor=None, organization=root_org)
    keystore_rotate(actor=None, organization=root_org, overlap_seconds=600)
    assert keystore_retire_expired() == 0
    assert keystore_retire_expired(now=timezone.now() + timedelta(seconds=601)) == 1
    assert SigningKey.objects.get(pk=first.pk).status == "retired"


def test_default_overlap_comes_from_settings(root_org: Organization, settings: Any) -> None:
    settings.IAM_KEY_ROTATION_OVERLAP_SECONDS = 7200
    first = keystore_create_key(actor=None, organization=root_org)
    keystore_rotate(actor=None, organization=root_org)
    first.refresh_from_db()
    remaining = first.retire_after - timezone.now()
    assert timedelta(seconds=7190) < remaining <= timedelta(seconds=7200)


def test_zero_overlap_retires_a_compromised_key_at_once(root_org: Organization) -> None:
    old = keystore_signing_key(organization=root_org)
    new = keystore_rotate(actor=None, organization=root_org, overlap_seconds=0)
    assert SigningKey.objects.get(kid=old.kid).status == "retired"
    assert kids(keystore_jwks(organization=root_org)) == [new.kid]


def test_repeated_rotations_publish_every_key_in_its_overlap(root_org: Organization) -> None:
    first = keystore_create_key(actor=None, organization=root_org)
    second = keystore_rotate(actor=None, organization=root_org)
    third = keystore_rotate(actor=None, organization=root_org)
    assert kids(keystore_jwks(organization=root_org)) == [third.kid, second.kid, first.kid]
    statuses = dict(SigningKey.objects.values_list("kid", "status"))
    assert statuses == {first.kid: "retiring", second.kid: "retiring", third.kid: "active"}


def test_rotation_without_a_key_creates_the_first(root_org: Organization) -> None:
    key = keystore_rotate(actor=None, organization=root_org, protocol="ws_trust")
    assert (key.protocol, key.status, key.algorithm) == ("ws_trust", "active", "RS256")
    assert OutboxEvent.objects.get(event_type="keystore.rotated").payload["previousKid"] is None


def test_es256_keys_sign_and_verify(root_org: Organization) -> None:
    rsa = keystore_signing_key(organization=root_org)
    rsa_token = sign(rsa.jwk, kid=rsa.kid, algorithm="RS256")
    key = keystore_rotate(actor=None, organization=root_org, algorithm="ES256")
    assert (key.algorithm, key.key_size) == ("ES256", 256)
    assert set(key.public_jwk) == {"kty", "crv", "x", "y", "kid", "use", "alg"}

    with mock.patch("apps.core.cache.clock", return_value=10**9):  # past the active-kid TTL
        active = keystore_signing_key(organization=root_org)
    assert (active.kid, active.algorithm) == (key.kid, "ES256")
    ec_token = sign(active.jwk, kid=active.kid, algorithm="ES256", claims={"sub": "bob"})
    jwks = keystore_jwks(organization=root_org)
    assert verify_with_jwks(ec_token, jwks) == {"sub": "bob"}
    assert verify_with_jwks(rsa_token, jwks) == {"sub": "alice"}
    # The next rotation keeps ES256 unless told otherwise.
    assert keystore_rotate(actor=None, organization=root_org).algorithm == "ES256"
    # ... and switching back to RSA picks the RSA default size.
    back = keystore_rotate(actor=None, organization=root_org, algorithm="RS256", key_size=3072)
    assert (back.algorithm, back.key_size) == ("RS256", 3072)
    assert keystore_rotate(actor=None, organization=root_org).key_size == 3072


def test_create_key_es256(root_org: Organization) -> None:
    key = keystore_create_key(actor=None, organization=root_org, protocol="saml", algorithm="ES256")
    assert (key.algorithm, key.key_size, key.public_jwk["crv"]) == ("ES256", 256, "P-256")


def test_tenants_never_see_each_others_keys(root_org: Organization, other_tenant: Organization) -> None:
    root_key = keystore_signing_key(organization=root_org)
    acme_key = keystore_signing_key(organization=other_tenant)
    assert root_key.kid != acme_key.kid
    assert kids(keystore_jwks(organization=other_tenant)) == [acme_key.kid]
    assert kids(keystore_jwks(organization=root_org)) == [root_key.kid]
    assert [k.kid for k in keystore_list(organization=other_tenant)] == [acme_key.kid]
    # A token signed by root's key is not verifiable as one of acme's.
    assert keystore_verification_key(organization=other_tenant, kid=root_key.kid) is None
    assert keystore_verification_key(organization=root_org, kid=root_key.kid) is not None
    assert keystore_verification_key(organization=other_tenant, kid=root_key.kid) is None  # also from the cache
    # Rotating acme leaves root alone.
    keystore_rotate(actor=None, organization=other_tenant)
    assert SigningKey.objects.get(kid=root_key.kid).status == "active"


def test_verification_key_lookup(root_org: Organization) -> None:
    active = keystore_signing_key(organization=root_org)
    public = keystore_verification_key(organization=root_org, kid=active.kid)
    assert public is not None
    assert not public.has_private
    assert public.thumbprint() == active.kid
    assert keystore_verification_key(organization=root_org, kid=active.kid, protocol="saml") is None
    for kid in ("unknown", "", None, 42, "x" * 65):
        assert keystore_verification_key(organization=root_org, kid=kid) is None


def test_selectors_never_return_private_material(root_org: Organization) -> None:
    keystore_signing_key(organization=root_org)
    for key in keystore_list(organization=root_org):
        assert "private_key_encrypted" in key.get_deferred_fields()
    for key in keystore_jwks(organization=root_org)["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_the_beat_task_runs_the_sweep(root_org: Organization, settings: Any) -> None:
    from apps.keystores.tasks import keystore_retire_expired as task

    keystore_create_key(actor=None, organization=root_org)
    keystore_rotate(actor=None, organization=root_org, overlap_seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=5)):
        assert task() == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["keystore-retire-expired"]
    assert schedule == {"task": "apps.keystores.tasks.keystore_retire_expired", "schedule": 3600.0}
    assert task.name == schedule["task"]
