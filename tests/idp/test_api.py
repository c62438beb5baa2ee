"""Identity Provider Management API and the federated association APIs (admin, me, bulk)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.models import AuditLog
from apps.idp.models import FederatedAssociation, IdentityProvider
from apps.idp.secrets import client_secret_open
from apps.idp.services import association_create, idp_create

IDPS = "/api/server/v1/identity-providers"
OIDC_AUTHENTICATOR = "T3BlbklEQ29ubmVjdEF1dGhlbnRpY2F0b3I"
EMAIL = "http://wso2.org/claims/emailaddress"
EMPLOYEE = "http://wso2.org/claims/employeeNumber"


def idp_body(name: str = "Corp", **extra: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "description": "Corporate IdP",
        "templateId": "oidc",
        "idpIssuerName": "https://idp.corp.example",
        "certificate": {"jwksUri": "https://idp.corp.example/jwks"},
        "federatedAuthenticators": {
            "defaultAuthenticatorId": OIDC_AUTHENTICATOR,
            "authenticators": [
                {
                    "authenticatorId": OIDC_AUTHENTICATOR,
                    "isEnabled": True,
                    "properties": [
                        {"key": "ClientId", "value": "client-1"},
                        {"key": "ClientSecret", "value": "s3cret-value"},
                        {"key": "OAuth2AuthzEPUrl", "value": "https://idp.corp.example/authorize"},
                        {"key": "OAuth2TokenEPUrl", "value": "https://idp.corp.example/token"},
                        {"key": "UserInfoUrl", "value": "https://idp.corp.example/userinfo"},
                        {"key": "Scopes", "value": "email profile"},
                    ],
                }
            ],
        },
        "claims": {
            "userIdClaim": {"uri": "sub"},
            "mappings": [{"idpClaim": "email", "localClaim": {"uri": EMAIL}}],
        },
        "provisioning": {"jit": {"isEnabled": True, "scheme": "PROVISION_SILENTLY", "userstore": "PRIMARY"}},
    }
    body.update(extra)
    return body


def make_idp(organization: Any, name: str = "Corp") -> IdentityProvider:
    return idp_create(
        actor=None,
        organization=organization,
        name=name,
        client_id="client-1",
        client_secret="s3cret",
        issuer="https://idp.corp.example",
        authorization_endpoint="https://idp.corp.example/authorize",
        token_endpoint="https://idp.corp.example/token",
        jwks_uri="https://idp.corp.example/jwks",
    )


def test_create_read_list_patch_and_delete_an_identity_provider(admin_api, root_org):
    created = admin_api.post(IDPS, idp_body(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert created["Location"].endswith(f"{IDPS}/{body['id']}")
    assert body["idpIssuerName"] == "https://idp.corp.example"
    assert body["claims"]["mappings"][0]["localClaim"]["uri"] == EMAIL
    assert body["provisioning"]["jit"]["isEnabled"] is True
    assert body["callbackUrl"].endswith("/commonauth")
    assert "s3cret-value" not in created.content.decode()  # the secret is write-only
    idp = IdentityProvider.objects.get(pk=body["id"])
    assert idp.scopes == ["openid", "email", "profile"]  # openid added for OIDC
    assert client_secret_open(idp.client_secret_sealed, idp_id=idp.pk) == "s3cret-value"
    assert "s3cret-value" not in idp.client_secret_sealed

    listing = admin_api.get(IDPS).json()
    assert listing["totalResults"] == 1
    assert listing["identityProviders"][0]["name"] == "Corp"

    authenticator = admin_api.get(f"{IDPS}/{idp.pk}/federated-authenticators/{OIDC_AUTHENTICATOR}").json()
    properties = {item["key"]: item["value"] for item in authenticator["properties"]}
    assert properties["ClientId"] == "client-1"
    assert "ClientSecret" not in properties

    patched = admin_api.patch(
        f"{IDPS}/{idp.pk}", [{"operation": "REPLACE", "path": "/name", "value": "Corporate"}], format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Corporate"

    assert admin_api.delete(f"{IDPS}/{idp.pk}").status_code == 204
    assert admin_api.get(f"{IDPS}/{idp.pk}").status_code == 404
    assert AuditLog.objects.filter(action="identity_provider.deleted", target_id=str(idp.pk)).exists()


def test_invalid_input_is_refused_in_the_wso2_error_shape(admin_api, root_org):
    duplicate = admin_api.post(IDPS, idp_body(), format="json")
    assert duplicate.status_code == 201
    again = admin_api.post(IDPS, idp_body(), format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "IDP-60009"
    bad_url = idp_body("Other", idpIssuerName="http://idp.corp.example")
    response = admin_api.post(IDPS, bad_url, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "IDP-60001"
    assert set(response.json()) == {"code", "message", "description", "traceId"}
    unknown_claim = idp_body("Third", claims={"mappings": [{"idpClaim": "x", "localClaim": {"uri": "http://nope"}}]})
    assert admin_api.post(IDPS, unknown_claim, format="json").json()["code"] == "IDP-60004"
    unknown_field = idp_body("Fourth", colour="blue")
    assert admin_api.post(IDPS, unknown_field, format="json").status_code == 400


def test_jit_config_allows_at_most_two_lookup_mappings(admin_api, root_org):
    """AT-10.1"""
    idp = make_idp(root_org)
    three = {
        "isEnabled": True,
        "associateLocalUser": True,
        "accountLookupAttributeMappings": [
            {"localAttribute": EMAIL, "federatedAttribute": "email"},
            {"localAttribute": EMPLOYEE, "federatedAttribute": "employee_id"},
            {"localAttribute": "http://wso2.org/claims/mobile", "federatedAttribute": "phone"},
        ],
    }
    response = admin_api.put(f"{IDPS}/{idp.pk}/provisioning/jit", three, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "IDP-60005"
    two = {**three, "accountLookupAttributeMappings": three["accountLookupAttributeMappings"][:2]}
    response = admin_api.put(f"{IDPS}/{idp.pk}/provisioning/jit", two, format="json")
    assert response.status_code == 200
    assert response.json()["accountLookupAttributeMappings"][1] == {
        "federatedAttribute": "employee_id",
        "localAttribute": EMPLOYEE,
    }
    no_mappings = {"isEnabled": False, "associateLocalUser": True, "accountLookupAttributeMappings": []}
    response = admin_api.put(f"{IDPS}/{idp.pk}/provisioning/jit", no_mappings, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "IDP-60006"


def test_an_idp_used_in_a_sign_in_sequence_is_not_deleted_without_force_and_renames_follow(admin_api, root_org):
    from apps.applications.services import application_create
    from apps.authn.services.sequences import sequence_for, sequence_set

    idp = make_idp(root_org)
    app, _secret = application_create(
        actor=None,
        organization=root_org,
        template_id="oidc-web-application",
        name="web",
        redirect_uris=["https://rp.example.com/cb"],
    )
    sequence_set(actor=None, application=app, steps=[["basic", "federated:Corp"]])
    admin_api.patch(f"{IDPS}/{idp.pk}", [{"operation": "REPLACE", "path": "/name", "value": "Corp2"}], format="json")
    assert sequence_for(app.pk) == [["basic", "federated:Corp2"]]
    refused = admin_api.delete(f"{IDPS}/{idp.pk}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "IDP-60008"
    assert admin_api.delete(f"{IDPS}/{idp.pk}?force=true").status_code == 204


def test_scopes_and_tenant_isolation(api_client, root_org, other_tenant, make_user, mint_token, admin_api):
    idp = make_idp(root_org)
    viewer = make_user(root_org, "viewer", ["internal_idp_view"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(viewer, ['internal_idp_view'])}")
    assert api_client.get(f"{IDPS}/{idp.pk}").status_code == 200
    assert api_client.post(IDPS, idp_body("X"), format="json").status_code == 403
    assert api_client.delete(f"{IDPS}/{idp.pk}").status_code == 403
    from apps.users.models import User

    acme_admin = User.objects.get(organization=other_tenant, username="admin")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(acme_admin)}")
    assert api_client.get(f"/t/acme{IDPS}/{idp.pk}").status_code == 404
    assert api_client.get(f"/t/acme{IDPS}").json()["totalResults"] == 0


def test_templates_are_listed(admin_api, root_org):
    templates = admin_api.get(f"{IDPS}/templates").json()["templates"]
    assert [item["id"] for item in templates] == ["oidc", "google", "github"]
    github = admin_api.get(f"{IDPS}/templates/github").json()
    assert github["idp"]["protocol"] == "oauth2"
    assert github["idp"]["userinfo_endpoint"] == "https://api.github.com/user"


def test_templates_create_google_and_github_without_network(root_org):
    google = idp_create(
        actor=None, organization=root_org, template_id="google", name="Google", client_id="g", client_secret="x"
    )
    assert google.issuer == "https://accounts.google.com"
    assert google.jwks_uri.startswith("https://www.googleapis.com/")
    github = idp_create(
        actor=None, organization=root_org, template_id="github", name="GitHub", client_id="h", client_secret="y"
    )
    assert github.protocol == "oauth2"
    assert github.subject_claim == "id"
    assert "openid" not in github.scopes


# --- associations ------------------------------------------------------------------------------------------


def test_admin_association_api_list_create_and_delete(admin_api, root_org, make_user):
    idp = make_idp(root_org)
    alice = make_user(root_org, "alice")
    for base in ("/api/server/v1/users", "/api/users/v1"):
        url = f"{base}/{alice.pk}/federated-associations"
        created = admin_api.post(url, {"idp": "Corp", "federatedUserId": f"alice@corp{base[-2:]}"}, format="json")
        assert created.status_code == 201, created.json()
        listing = admin_api.get(url).json()
        assert listing[-1]["idp"] == {"id": str(idp.pk), "name": "Corp", "displayName": "Corp", "imageUrl": ""}
        duplicate = admin_api.post(
            url, {"idp": "Corp", "federatedUserId": listing[-1]["federatedUserId"]}, format="json"
        )
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "UAA-10012"
        assert admin_api.delete(f"{url}/{created.json()['id']}").status_code == 204
    assert not FederatedAssociation.objects.exists()
    assert admin_api.get(f"/api/users/v1/{alice.pk}/federated-associations").json() == []
    assert admin_api.get("/api/users/v1/00000000-0000-0000-0000-000000000000/federated-associations").status_code == 404


def test_me_association_api(api_client, root_org, make_user, mint_token):
    idp = make_idp(root_org)
    alice = make_user(root_org, "alice")
    bob = make_user(root_org, "bob")
    mine = association_create(actor=None, user=alice, idp=idp, subject="alice-at-corp")
    theirs = association_create(actor=None, user=bob, idp=idp, subject="bob-at-corp")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(alice, ['internal_login'])}")
    listing = api_client.get("/api/users/v1/me/federated-associations").json()
    assert [item["federatedUserId"] for item in listing] == ["alice-at-corp"]
    assert api_client.delete(f"/api/users/v1/me/federated-associations/{theirs.pk}").status_code == 404
    assert api_client.delete(f"/api/users/v1/me/federated-associations/{mine.pk}").status_code == 204
    assert FederatedAssociation.objects.filter(user=bob).exists()
    assert not FederatedAssociation.objects.filter(user=alice).exists()


BULK = "/api/users/v1/federated-associations/bulk"


def test_bulk_creates_100_associations_in_one_call_with_per_operation_results(admin_api, root_org, make_user):
    make_idp(root_org)
    users = [make_user(root_org, f"user{n:03d}") for n in range(100)]
    operations = [
        {
            "method": "POST",
            "bulkId": f"b{n}",
            "path": f"/{user.pk}/federated-associations",
            "data": {"idp": "Corp", "federatedUserId": f"subject-{n}"},
        }
        for n, user in enumerate(users)
    ]
    response = admin_api.post(BULK, {"operations": operations}, format="json")
    assert response.status_code == 200
    results = response.json()["Operations"]
    assert len(results) == 100
    assert {item["bulkId"] for item in results} == {f"b{n}" for n in range(100)}
    assert all(item["status"] == {"statusCode": 201} for item in results)
    assert FederatedAssociation.objects.count() == 100
    assert FederatedAssociation.objects.get(federated_user_id="subject-42").user == users[42]
    assert AuditLog.objects.filter(action="federated_association.created", data__via="bulk").count() == 100


def test_bulk_reports_failures_per_operation(admin_api, root_org, make_user):
    idp = make_idp(root_org)
    alice, bob = make_user(root_org, "alice"), make_user(root_org, "bob")
    association_create(actor=None, user=bob, idp=idp, subject="taken")
    ghost = "00000000-0000-0000-0000-000000000000"
    operations = [
        {
            "method": "POST",
            "bulkId": "ok",
            "path": f"/{alice.pk}/federated-associations",
            "data": {"idp": "Corp", "federatedUserId": "alice-1"},
        },
        {
            "method": "POST",
            "bulkId": "unknown-user",
            "path": f"/{ghost}/federated-associations",
            "data": {"idp": "Corp", "federatedUserId": "x"},
        },
        {
            "method": "POST",
            "bulkId": "duplicate",
            "path": f"/{alice.pk}/federated-associations",
            "data": {"idp": "Corp", "federatedUserId": "taken"},
        },
        {
            "method": "POST",
            "bulkId": "unknown-idp",
            "path": f"/{alice.pk}/federated-associations",
            "data": {"idp": "Nope", "federatedUserId": "y"},
        },
        {"method": "PUT", "bulkId": "put", "path": f"/{alice.pk}/federated-associations"},
        {"method": "DELETE", "bulkId": "bad-path", "path": "/whatever"},
        {"method": "DELETE", "bulkId": "all-of-bob", "path": f"/{bob.pk}/federated-associations"},
    ]
    results = {
        item["bulkId"]: item["status"]
        for item in admin_api.post(BULK, {"operations": operations}, format="json").json()["Operations"]
    }
    assert results["ok"] == {"statusCode": 201}
    assert results["unknown-user"]["statusCode"] == 404
    assert results["unknown-user"]["errorCode"] == "UAA-10009"
    assert results["duplicate"]["statusCode"] == 409
    assert results["duplicate"]["errorCode"] == "UAA-10012"
    assert results["duplicate"]["errorDescription"] == "The federated association is already associated to a local user"
    assert results["unknown-idp"]["statusCode"] == 400
    assert results["put"]["errorCode"] == "INVALID_BULK_OPERATION"
    assert results["bad-path"]["statusCode"] == 400
    assert results["all-of-bob"] == {"statusCode": 204}
    assert list(FederatedAssociation.objects.values_list("federated_user_id", flat=True)) == ["alice-1"]


def test_bulk_fail_on_errors_stops_and_limits_apply(admin_api, root_org, make_user, settings):
    make_idp(root_org)
    alice = make_user(root_org, "alice")
    ghost = "00000000-0000-0000-0000-000000000000"
    bad = {
        "method": "POST",
        "bulkId": "bad",
        "path": f"/{ghost}/federated-associations",
        "data": {"idp": "Corp", "federatedUserId": "x"},
    }
    good = {
        "method": "POST",
        "bulkId": "good",
        "path": f"/{alice.pk}/federated-associations",
        "data": {"idp": "Corp", "federatedUserId": "alice-1"},
    }
    response = admin_api.post(BULK, {"failOnErrors": 1, "operations": [bad, good]}, format="json").json()
    assert [item["bulkId"] for item in response["Operations"]] == ["bad"]  # AT-4.3
    assert not FederatedAssociation.objects.exists()
    settings.IAM_FEDERATED_ASSOCIATION_BULK_MAX = 3
    too_many = admin_api.post(BULK, {"operations": [good] * 4}, format="json")
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "MAXIMUM_BULK_OPERATION_LIMIT_EXCEEDED"
    assert "3" in too_many.json()["description"]
    assert not FederatedAssociation.objects.exists()  # AT-4.4: nothing executed


def test_bulk_needs_its_scope(api_client, root_org, make_user, mint_token):
    clerk = make_user(root_org, "clerk", ["internal_user_mgt_update"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(clerk, ['internal_user_mgt_update'])}")
    assert api_client.post(BULK, {"operations": []}, format="json").status_code == 403


@pytest.fixture(autouse=True)
def _db(db: Any) -> None:
    return None
