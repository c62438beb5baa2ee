"""OIDC scope management API, and ID tokens / userinfo releasing what the
tenant's scopes say, through the real authorize + token endpoints."""

# Fixtures are imported from another test package, so test arguments shadow them by design.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from apps.attributes.selectors import dialect_get_by_id
from apps.attributes.services import external_claim_create, local_claim_create, oidc_scope_create
from apps.keystores.selectors import keystore_jwks
from apps.oauth.claims import user_claims
from apps.orgs.services import organization_create
from apps.users.services import user_update
from tests.api_helpers import assert_error
from tests.oauth.conftest import (  # noqa: F401  (fixtures)
    _fresh_client_cache,
    alice,
    billing_api,
    browser,
    make_app,
    orders_api,
    web,
)
from tests.oauth.helpers import jwt_verified_claims
from tests.oauth.test_refresh import login_tokens

SCOPES = "/api/server/v1/oidc/scopes"
USERINFO = "/oauth2/userinfo"
OIDC_DIALECT_ID = "aHR0cDovL3dzbzIub3JnL29pZGMvY2xhaW0"


def test_default_scopes_are_listed(admin_api):
    scopes = {s["name"]: s for s in admin_api.get(SCOPES).json()}
    assert set(scopes) == {"openid", "profile", "email", "phone", "address"}
    assert scopes["email"]["claims"] == ["email", "email_verified"]
    assert "given_name" in scopes["profile"]["claims"]
    assert set(scopes["address"]["claims"]) >= {"street_address", "locality", "postal_code", "country"}


def test_create_update_delete_a_custom_scope(admin_api):
    body = {"name": "work", "displayName": "Work", "description": "Where you work", "claims": ["locale", "email"]}
    created = admin_api.post(SCOPES, body, format="json")
    assert created.status_code == 201, created.content
    assert created["Location"].endswith(f"{SCOPES}/work")
    assert created.json() == {**body, "claims": ["email", "locale"]}
    assert_error(admin_api.post(SCOPES, body, format="json"), 409, "OSM-60004")
    updated = admin_api.put(f"{SCOPES}/work", {"displayName": "Job", "claims": ["zoneinfo"]}, format="json")
    assert updated.status_code == 200, updated.content
    assert updated.json() == {"name": "work", "displayName": "Job", "description": "", "claims": ["zoneinfo"]}
    assert admin_api.delete(f"{SCOPES}/work").status_code == 204
    assert_error(admin_api.get(f"{SCOPES}/work"), 404, "OSM-60003")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "has space", "displayName": "X"}, "OSM-60001"),
        ({"name": "ok", "displayName": " "}, "OSM-60002"),
        ({"name": "ok", "displayName": "X", "claims": ["no_such_claim"]}, "OSM-60001"),
        ({"name": "ok"}, "OSM-60002"),
        ({"name": "ok", "displayName": "X", "extra": 1}, "OSM-60001"),
    ],
)
def test_invalid_scopes_are_refused(admin_api, body, code):
    assert_error(admin_api.post(SCOPES, body, format="json"), 400, code)


def test_default_scopes_cannot_be_deleted_and_scopes_are_enforced(admin_api, api_client, admin_user, mint_token):
    assert_error(admin_api.delete(f"{SCOPES}/openid"), 400, "OSM-60005")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user, ['internal_oidc_scope_mgt_view'])}")
    assert api_client.get(SCOPES).status_code == 200
    assert_error(api_client.put(f"{SCOPES}/profile", {"displayName": "P"}, format="json"), 403)


def test_sub_organizations_and_other_tenants(admin_api, root_org, other_admin, admin_user, mint_token, api_client):
    admin_api.post(SCOPES, {"name": "rootonly", "displayName": "R"}, format="json")
    branch = organization_create(actor=None, parent=root_org, name="Branch")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user)}")
    in_branch = f"/t/root/o/{branch.id}{SCOPES}"
    assert "rootonly" in {s["name"] for s in api_client.get(in_branch).json()}
    assert_error(api_client.post(in_branch, {"name": "mine", "displayName": "M"}, format="json"), 403, "OSM-60007")
    assert_error(api_client.put(f"{in_branch}/profile", {"displayName": "P"}, format="json"), 403, "OSM-60007")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(other_admin)}")
    assert "rootonly" not in {s["name"] for s in api_client.get(f"/t/acme{SCOPES}").json()}
    assert_error(api_client.get(f"/t/acme{SCOPES}/rootonly"), 404, "OSM-60003")


@pytest.fixture
def alice_profile(alice):
    return user_update(
        actor=None,
        user=alice,
        phone="+94 77 123 4567",
        attributes={
            "emailVerified": True,
            "streetaddress": "1 Galle Road",
            "locality": "Colombo",
            "postalcode": "00300",
            "country": "Sri Lanka",
            "dob": "1990-04-01",
            "locale": "si-LK",
        },
    )


def test_id_token_and_userinfo_release_the_default_scopes(client, browser, web, alice_profile, root_org):
    tokens = login_tokens(client, browser, web, scope="openid profile email phone address")
    ident = jwt_verified_claims(tokens["id_token"], keystore_jwks(organization=root_org))
    assert ident["sub"] == str(alice_profile.id)
    assert (ident["given_name"], ident["family_name"], ident["name"]) == ("Alice", "Liddell", "Alice Liddell")
    assert ident["preferred_username"] == "alice"
    assert (ident["birthdate"], ident["locale"]) == ("1990-04-01", "si-LK")
    assert isinstance(ident["updated_at"], int)
    assert (ident["email"], ident["email_verified"]) == ("alice@example.com", True)
    assert (ident["phone_number"], ident["phone_number_verified"]) == ("+94 77 123 4567", False)
    assert ident["address"] == {
        "street_address": "1 Galle Road",
        "locality": "Colombo",
        "postal_code": "00300",
        "country": "Sri Lanka",
    }
    assert ident["org_handle"] == "root"
    info = client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert {k: info[k] for k in ("sub", "email", "email_verified", "address")} == {
        "sub": str(alice_profile.id),
        "email": "alice@example.com",
        "email_verified": True,
        "address": ident["address"],
    }


def test_editing_a_scope_changes_what_tokens_release(client, browser, web, alice_profile, admin_api, root_org):
    changed = admin_api.put(
        f"{SCOPES}/profile", {"displayName": "Profile", "claims": ["preferred_username", "locale"]}, format="json"
    )
    assert changed.status_code == 200
    tokens = login_tokens(client, browser, web, scope="openid profile")
    ident = jwt_verified_claims(tokens["id_token"], keystore_jwks(organization=root_org))
    assert "given_name" not in ident
    assert "name" not in ident
    assert (ident["preferred_username"], ident["locale"]) == ("alice", "si-LK")
    info = client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert info == {"sub": str(alice_profile.id), "preferred_username": "alice", "locale": "si-LK"}


def test_without_the_scope_nothing_is_released(client, browser, web, alice_profile, root_org):
    tokens = login_tokens(client, browser, web, scope="openid")
    ident = jwt_verified_claims(tokens["id_token"], keystore_jwks(organization=root_org))
    assert not {"email", "given_name", "phone_number", "address"} & set(ident)


def test_a_custom_scope_releases_a_custom_attribute(root_org, alice):
    level = local_claim_create(
        actor=None,
        organization=root_org,
        claim_uri="http://wso2.org/claims/level",
        display_name="Level",
        data_type="integer",
    )
    oidc = dialect_get_by_id(organization=root_org, dialect_id=OIDC_DIALECT_ID)
    external_claim_create(
        actor=None, organization=root_org, dialect=oidc, claim_uri="level", mapped_local_claim_uri=level.claim_uri
    )
    oidc_scope_create(actor=None, organization=root_org, name="hr", display_name="HR", claims=["level"])
    alice = user_update(actor=None, user=alice, attributes={"level": "4"})
    assert user_claims(alice, ["openid", "hr"]) == {"level": 4}
    assert user_claims(alice, ["openid"]) == {}


def test_a_custom_scope_is_granted_in_user_grants_released_in_the_id_token_and_advertised(
    client, browser, web, root_org, alice
):
    """Through the real endpoints: a custom OIDC scope is an OIDC scope (no role needed), the ID token
    carries its claims, discovery lists it, and an unknown scope is still dropped."""
    test_a_custom_scope_releases_a_custom_attribute(root_org, alice)
    tokens = login_tokens(client, browser, web, scope="openid hr nonsense")
    assert tokens["scope"] == "openid hr"
    ident = jwt_verified_claims(tokens["id_token"], keystore_jwks(organization=root_org))
    assert ident["level"] == 4
    assert "hr" in client.get("/.well-known/openid-configuration").json()["scopes_supported"]
