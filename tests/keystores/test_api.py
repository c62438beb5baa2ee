"""Keystores management API: list, rotate, strict input, scopes, tenant isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.core.models import AuditLog
from apps.keystores.models import SigningKey
from apps.keystores.services import keystore_create_key, keystore_signing_key
from apps.orgs.models import Organization
from apps.users.models import User
from tests.api_helpers import assert_error

pytestmark = pytest.mark.django_db

KEYS = "/api/server/v1/keystores/oauth/keys"
ROTATE = "/api/server/v1/keystores/oauth/rotate"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_list_keys(admin_api: APIClient, root_org: Organization) -> None:
    assert admin_api.get(KEYS).json() == {"protocol": "oauth", "keys": []}
    key = keystore_create_key(actor=None, organization=root_org)
    body = admin_api.get(KEYS).json()
    assert body["protocol"] == "oauth"
    [item] = body["keys"]
    assert item == {
        "kid": key.kid,
        "protocol": "oauth",
        "algorithm": "RS256",
        "keySize": 2048,
        "status": "active",
        "created": item["created"],
        "retireAfter": None,
        "publicJwk": key.public_jwk,
    }
    assert item["created"].endswith("Z")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(item["publicJwk"])
    assert "private" not in admin_api.get(KEYS).content.decode().lower()
    assert admin_api.get("/api/server/v1/keystores/saml/keys").json() == {"protocol": "saml", "keys": []}


def test_rotate_with_defaults(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    old = keystore_signing_key(organization=root_org)
    response = admin_api.post(ROTATE, {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["algorithm"], body["keySize"], body["retireAfter"]) == ("active", "RS256", 2048, None)
    assert body["kid"] != old.kid
    listed = {k["kid"]: k for k in admin_api.get(KEYS).json()["keys"]}
    assert listed[old.kid]["status"] == "retiring"
    assert listed[old.kid]["retireAfter"].endswith("Z")
    audit = AuditLog.objects.get(action="keystore.rotate")
    assert (audit.actor_id, audit.target_id) == (str(admin_user.pk), body["kid"])
    # An empty body works too.
    assert admin_api.post(ROTATE).status_code == 201


def test_rotate_to_es256_with_overlap(admin_api: APIClient, root_org: Organization) -> None:
    keystore_create_key(actor=None, organization=root_org)
    response = admin_api.post(ROTATE, {"algorithm": "ES256", "overlapSeconds": 120}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["algorithm"], body["keySize"], body["publicJwk"]["crv"]) == ("ES256", 256, "P-256")
    retiring = SigningKey.objects.get(status="retiring")
    assert 110 < (retiring.retire_after - retiring.created).total_seconds() < 130


def test_rotate_rsa_3072(admin_api: APIClient) -> None:
    response = admin_api.post(ROTATE, {"algorithm": "RS256", "keySize": 3072}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["keySize"] == 3072


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"keySize": 1024}, "KSM-60003"),
        ({"algorithm": "RS256", "keySize": 1024}, "KSM-60003"),
        ({"keySize": 8192}, "KSM-60004"),
        ({"algorithm": "ES256", "keySize": 2048}, "KSM-60004"),
        ({"overlapSeconds": -1}, "KSM-60005"),
        ({"overlapSeconds": 10**9}, "KSM-60005"),
        ({"keySize": "2048"}, "KSM-60001"),
        ({"keySize": 2048.0}, "KSM-60001"),
        ({"keySize": True}, "KSM-60001"),
        ({"keySize": None}, "KSM-60002"),
        ({"overlapSeconds": "60"}, "KSM-60001"),
        ({"overlapSeconds": False}, "KSM-60001"),
        ({"algorithm": "HS256"}, "KSM-60001"),
        ({"algorithm": "none"}, "KSM-60001"),
        ({"algorithm": ["RS256"]}, "KSM-60001"),
        ({"algorithm": 256}, "KSM-60001"),
        ({"algorithm": ""}, "KSM-60001"),
        ({"algorithm": "rs256"}, "KSM-60001"),
        ({"kid": "mine"}, "KSM-60001"),
        ({"privateKey": "-----BEGIN PRIVATE KEY-----"}, "KSM-60001"),
        ([], "KSM-60001"),
        (["algorithm"], "KSM-60001"),
        ("ES256", "KSM-60001"),
        (42, "KSM-60001"),
    ],
)
def test_rotate_bad_input(admin_api: APIClient, root_org: Organization, body: Any, code: str) -> None:
    keystore_create_key(actor=None, organization=root_org)
    assert_error(admin_api.post(ROTATE, body, format="json"), 400, code)
    assert SigningKey.objects.count() == 1


def test_rotate_malformed_json(admin_api: APIClient) -> None:
    response = admin_api.post(ROTATE, "{not json", content_type="application/json")
    assert_error(response, 400, "KSM-60001")
    response = admin_api.post(ROTATE, "keySize=4096", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "KSM-60415")
    assert not SigningKey.objects.exists()


@pytest.mark.parametrize("protocol", ["openid", "OAUTH", "saml2", "..", "oauth%00", "x" * 300])
def test_unknown_protocol_is_404(admin_api: APIClient, protocol: str) -> None:
    assert_error(admin_api.get(f"/api/server/v1/keystores/{protocol}/keys"), 404, "KSM-60015")
    assert_error(admin_api.post(f"/api/server/v1/keystores/{protocol}/rotate", {}, format="json"), 404, "KSM-60015")
    assert not SigningKey.objects.exists()


def test_other_methods_are_refused(admin_api: APIClient) -> None:
    assert admin_api.delete(KEYS).status_code in {403, 405}
    assert admin_api.put(ROTATE, {}, format="json").status_code in {403, 405}
    assert admin_api.get(ROTATE).status_code in {403, 405}
    assert not SigningKey.objects.exists()


def test_scopes_are_enforced(
    root_org: Organization, mint_token: Callable[..., str], make_user: Callable[..., User]
) -> None:
    def client_for(username: str, scope: str) -> APIClient:
        return bearer(mint_token(make_user(root_org, username, [scope]), [scope]))

    viewer = client_for("viewer", "internal_keystore_view")
    assert viewer.get(KEYS).status_code == 200
    assert_error(viewer.post(ROTATE, {}, format="json"), 403, "AUT-60003")
    rotator = client_for("rotator", "internal_keystore_update")
    assert_error(rotator.get(KEYS), 403, "AUT-60003")
    assert rotator.post(ROTATE, {}, format="json").status_code == 201
    nobody = client_for("nobody", "internal_user_mgt_list")
    assert_error(nobody.get(KEYS), 403)
    assert_error(nobody.post(ROTATE, {}, format="json"), 403)
    assert_error(APIClient().get(KEYS), 401, "AUT-60001")
    assert_error(APIClient().post(ROTATE, {}, format="json"), 401, "AUT-60001")
    assert SigningKey.objects.count() == 1


def test_another_tenant_cannot_touch_root_keys(
    root_org: Organization, other_admin: User, mint_token: Callable[..., str]
) -> None:
    root_key = keystore_create_key(actor=None, organization=root_org)
    acme = bearer(mint_token(other_admin))
    for prefix in ("", "/t/root"):
        assert_error(acme.get(f"{prefix}{KEYS}"), 401)
        assert_error(acme.post(f"{prefix}{ROTATE}", {}, format="json"), 401)
    assert SigningKey.objects.get().kid == root_key.kid
    assert SigningKey.objects.get().status == "active"
    # In its own tenant acme sees and rotates only its own keys.
    assert acme.get(f"/t/acme{KEYS}").json()["keys"] == []
    response = acme.post(f"/t/acme{ROTATE}", {}, format="json")
    assert response.status_code == 201
    assert SigningKey.objects.get(kid=response.json()["kid"]).organization.handle == "acme"
    assert [k["kid"] for k in acme.get(f"/t/acme{KEYS}").json()["keys"]] == [response.json()["kid"]]
    assert SigningKey.objects.get(kid=root_key.kid).status == "active"


def test_sub_organizations_point_to_the_root(admin_api: APIClient, engineering: Organization) -> None:
    prefix = f"/t/root/o/{engineering.pk}"
    body = assert_error(admin_api.get(f"{prefix}{KEYS}"), 403, "KSM-60016")
    assert "/t/root/api/server/v1/keystores/oauth/keys" in body["description"]
    assert_error(admin_api.post(f"{prefix}{ROTATE}", {}, format="json"), 403, "KSM-60016")
    assert not SigningKey.objects.exists()
