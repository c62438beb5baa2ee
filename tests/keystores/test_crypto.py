"""Key material: generation, JWKs, AES-256-GCM sealing under the master key, nothing in clear at rest."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from jwcrypto import jwk

from apps.keystores import crypto
from apps.keystores.models import SigningKey
from apps.keystores.services import keystore_create_key
from apps.orgs.models import Organization

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.mark.parametrize(("algorithm", "key_size"), [("RS256", 2048), ("ES256", None)])
def test_generated_key_round_trips_through_encryption(algorithm: str, key_size: int | None) -> None:
    generated = crypto.key_generate(algorithm=algorithm, key_size=key_size or 0)
    pem = crypto.decrypt_private_key(generated.private_key_encrypted, kid=generated.kid)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    private_key = serialization.load_pem_private_key(pem, password=None)
    # The sealed private key belongs to the published public key.
    assert crypto.public_jwk_members(private_key) == {
        name: generated.public_jwk[name] for name in crypto.public_jwk_members(private_key)
    }
    assert not PRIVATE_MEMBERS & set(generated.public_jwk)
    assert generated.public_jwk["kid"] == generated.kid
    assert generated.public_jwk["use"] == "sig"
    assert generated.public_jwk["alg"] == algorithm


def test_public_jwk_shapes() -> None:
    rsa_key = crypto.key_generate(algorithm="RS256", key_size=2048)
    assert set(rsa_key.public_jwk) == {"kty", "n", "e", "kid", "use", "alg"}
    assert rsa_key.public_jwk["kty"] == "RSA"
    assert rsa_key.public_jwk["e"] == "AQAB"
    assert rsa_key.key_size == 2048
    ec_key = crypto.key_generate(algorithm="ES256", key_size=256)
    assert set(ec_key.public_jwk) == {"kty", "crv", "x", "y", "kid", "use", "alg"}
    assert ec_key.public_jwk["crv"] == "P-256"
    # Fixed-width 32-byte coordinates, base64url without padding.
    assert len(ec_key.public_jwk["x"]) == len(ec_key.public_jwk["y"]) == 43
    assert ec_key.key_size == 256


def test_kid_is_the_rfc7638_thumbprint_and_url_safe() -> None:
    for algorithm in ("RS256", "ES256"):
        generated = crypto.key_generate(algorithm=algorithm, key_size=2048)
        assert generated.kid == jwk.JWK(**generated.public_jwk).thumbprint()
        assert set(generated.kid) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_rfc7638_example_thumbprint() -> None:
    # The worked example of RFC 7638 section 3.1.
    members = {
        "e": "AQAB",
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWK"
            "RXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMic"
            "AtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3"
            "XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
    }
    assert crypto.jwk_thumbprint(members) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_ciphertext_is_bound_to_its_kid_and_detects_tampering() -> None:
    generated = crypto.key_generate(algorithm="ES256", key_size=256)
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt_private_key(generated.private_key_encrypted, kid="someone-elses-kid")
    raw = bytearray(base64.b64decode(generated.private_key_encrypted))
    raw[-1] ^= 1
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt_private_key(base64.b64encode(bytes(raw)).decode(), kid=generated.kid)
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt_private_key("not base64!", kid=generated.kid)
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt_private_key(base64.b64encode(b"short").decode(), kid=generated.kid)


def test_a_fresh_nonce_per_encryption() -> None:
    pem = b"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n"
    first = crypto.encrypt_private_key(pem, kid="k")
    second = crypto.encrypt_private_key(pem, kid="k")
    assert first != second
    assert base64.b64decode(first)[:12] != base64.b64decode(second)[:12]
    assert crypto.decrypt_private_key(first, kid="k") == crypto.decrypt_private_key(second, kid="k") == pem


def test_another_master_key_cannot_open_the_key() -> None:
    generated = crypto.key_generate(algorithm="ES256", key_size=256)
    with (
        override_settings(IAM_MASTER_KEY=base64.b64encode(os.urandom(32)).decode()),
        pytest.raises(crypto.KeyDecryptionError),
    ):
        crypto.decrypt_private_key(generated.private_key_encrypted, kid=generated.kid)


@pytest.mark.parametrize("bad", ["", "not-base64!", base64.b64encode(b"16 bytes only...").decode()])
def test_a_malformed_master_key_is_a_configuration_error(bad: str) -> None:
    with override_settings(IAM_MASTER_KEY=bad), pytest.raises(ImproperlyConfigured):
        crypto.encrypt_private_key(b"pem", kid="k")


def test_signing_jwk_carries_kid_and_algorithm() -> None:
    generated = crypto.key_generate(algorithm="RS256", key_size=2048)
    key = crypto.signing_jwk(sealed=generated.private_key_encrypted, kid=generated.kid, algorithm="RS256")
    assert key.has_private
    assert key["kid"] == generated.kid
    assert key["alg"] == "RS256"
    assert json.loads(key.export_public()) == generated.public_jwk | {"kid": generated.kid}


@pytest.mark.django_db
def test_the_database_never_holds_the_private_key_in_clear(root_org: Organization) -> None:
    key = keystore_create_key(actor=None, organization=root_org, algorithm="RS256")
    pem = crypto.decrypt_private_key(key.private_key_encrypted, kid=key.kid)
    private = serialization.load_pem_private_key(pem, password=None)
    private_der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    d = jwk.JWK.from_pem(pem).export_private(as_dict=True)["d"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {SigningKey._meta.db_table} WHERE kid = %s",  # noqa: S608
            [key.kid],
        )
        row = cursor.fetchone()
    stored = " ".join(str(value) for value in row)
    assert "PRIVATE KEY" not in stored
    assert pem.decode() not in stored
    assert base64.b64encode(pem).decode() not in stored
    assert base64.b64encode(private_der).decode()[:40] not in stored
    assert d not in stored
    sealed = base64.b64decode(key.private_key_encrypted)
    assert b"PRIVATE KEY" not in sealed
    assert private_der[-64:] not in sealed
    assert not PRIVATE_MEMBERS & set(key.public_jwk)
