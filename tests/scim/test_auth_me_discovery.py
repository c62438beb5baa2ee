"""Authentication (bearer, DPoP-capable, Basic), scopes per endpoint, tenant isolation, /Me and discovery."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.users.models import User
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD
from tests.scim.conftest import USER_SCHEMA, ScimClient, assert_scim_error

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_in_scim_error_schema(root_org):
    anonymous = ScimClient("root", None)
    for path in ("/Users", "/Groups", "/v2/Roles", "/Me", "/Schemas", "/ServiceProviderConfig"):
        response = anonymous.get(path)
        assert_scim_error(response, 401)
        assert "Bearer" in response["WWW-Authenticate"]
    assert_scim_error(ScimClient("root", "Bearer not-a-token").get("/Users"), 401)


@pytest.mark.parametrize(
    ("method", "path", "needed"),
    [
        ("GET", "/Users", "internal_user_mgt_list"),
        ("POST", "/Users", "internal_user_mgt_create"),
        ("GET", "/Groups", "internal_group_mgt_view"),
        ("POST", "/Groups", "internal_group_mgt_create"),
        ("GET", "/v2/Roles", "internal_role_mgt_view"),
        ("GET", "/Me", "internal_login"),
    ],
)
def test_each_endpoint_needs_its_scope(admin_user, scim_as, method, path, needed):
    other = "internal_login" if needed != "internal_login" else "internal_user_mgt_list"
    without = scim_as(admin_user, [other])
    body = {"schemas": [USER_SCHEMA], "userName": "n1", "displayName": "G1"}
    response = without.get(path) if method == "GET" else without.post(path, body)
    assert_scim_error(response, 403)
    with_scope = scim_as(admin_user, [needed])
    response = with_scope.get(path) if method == "GET" else with_scope.post(path, body)
    assert response.status_code in (200, 201), response.content


def test_detail_scopes(admin_user, scim_as, scim, create_user):
    target = create_user("target")
    viewer = scim_as(admin_user, ["internal_user_mgt_view"])
    assert viewer.get(f"/Users/{target['id']}").status_code == 200
    assert_scim_error(viewer.get("/Users"), 403)
    assert_scim_error(
        viewer.patch(f"/Users/{target['id']}", [{"op": "replace", "path": "displayName", "value": "x"}]), 403
    )
    assert_scim_error(viewer.delete(f"/Users/{target['id']}"), 403)
    updater = scim_as(admin_user, ["internal_user_mgt_update"])
    assert (
        updater.patch(f"/Users/{target['id']}", [{"op": "replace", "path": "displayName", "value": "x"}]).status_code
        == 200
    )


def test_tenants_never_see_each_other(root_org, other_tenant, other_admin, scim, scim_as, create_user):
    mine = create_user("mine")
    theirs = scim_as(other_admin)
    assert theirs.get("/Users").json()["totalResults"] == 1  # only acme's admin
    assert_scim_error(theirs.get(f"/Users/{mine['id']}"), 404)
    assert_scim_error(
        theirs.patch(f"/Users/{mine['id']}", [{"op": "replace", "path": "displayName", "value": "x"}]), 404
    )
    assert_scim_error(theirs.delete(f"/Users/{mine['id']}"), 404)
    assert theirs.get("/Users", {"filter": 'userName eq "mine"'}).json()["totalResults"] == 0
    # A token of root used at acme's URL is refused outright.
    cross = ScimClient("acme", scim.headers["HTTP_AUTHORIZATION"])
    assert_scim_error(cross.get("/Users"), 401)
    # Bulk cannot reach the other tenant's resources either.
    body = theirs.post(
        "/Bulk",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "DELETE", "path": f"/Users/{mine['id']}"}],
        },
    ).json()
    assert body["Operations"][0]["status"] == "404"
    assert User.objects.filter(pk=mine["id"]).exists()


def test_basic_authentication_for_automation(root_org, basic_auth):
    client = ScimClient("root", basic_auth("admin", ADMIN_PASSWORD))
    response = client.get("/Users", {"filter": 'userName eq "admin"'})
    assert response.status_code == 200
    assert response.json()["totalResults"] == 1
    assert_scim_error(ScimClient("root", basic_auth("admin", "wrong")).get("/Users"), 401)
    assert ScimClient("no-such-tenant", basic_auth("admin", ADMIN_PASSWORD)).get("/Users").status_code == 404
    with override_settings(IAM_API_BASIC_AUTH=False):
        assert_scim_error(client.get("/Users"), 401)


def test_me_reads_and_updates_the_token_user(root_org, make_user, scim_as, mint_token):
    user = make_user(root_org, "selfie", given_name="Self")
    me = scim_as(user, ["internal_login"])
    body = me.get("/Me").json()
    assert body["userName"] == "selfie"
    assert body["id"] == str(user.pk)
    patched = me.patch("/Me", [{"op": "replace", "path": "name.familyName", "value": "Portrait"}])
    assert patched.status_code == 200
    assert patched.json()["name"]["familyName"] == "Portrait"
    assert me.get("/Me", HTTP_IF_NONE_MATCH=patched["ETag"]).status_code == 304
    replaced = me.put("/Me", {"schemas": [USER_SCHEMA], "userName": "selfie", "password": "An0ther-Secret!"})
    assert replaced.status_code == 200
    user.refresh_from_db()
    assert user.check_password("An0ther-Secret!")
    assert not user.check_password(USER_PASSWORD)
    assert_scim_error(me.patch("/Me", [{"op": "replace", "path": "active", "value": False}]), 400, "invalidValue")
    assert_scim_error(scim_as(user, ["internal_user_mgt_view"]).get("/Me"), 403)


def test_discovery_documents_match_behaviour(scim, root_org):
    config = scim.get("/ServiceProviderConfig").json()
    assert config["patch"]["supported"]
    assert config["sort"]["supported"]
    assert config["etag"]["supported"]
    assert config["filter"] == {"supported": True, "maxResults": 1000}
    assert config["bulk"]["maxOperations"] == 1000
    assert config["bulk"]["maxPayloadSize"] == 4 * 1024 * 1024
    assert {s["type"] for s in config["authenticationSchemes"]} == {"oauthbearertoken", "httpbasic"}
    types = scim.get("/ResourceTypes").json()
    assert {t["endpoint"] for t in types["Resources"]} == {"/Users", "/Groups", "/v2/Roles"}
    user_type = scim.get("/ResourceTypes/User").json()
    assert {e["schema"] for e in user_type["schemaExtensions"]} == {
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:scim:wso2:schema",
        "urn:scim:schemas:extension:custom:User",
    }
    schemas = {s["id"]: s for s in scim.get("/Schemas").json()["Resources"]}
    user_attrs = {a["name"]: a for a in schemas[USER_SCHEMA]["attributes"]}
    assert user_attrs["password"]["returned"] == "never"
    assert user_attrs["groups"]["mutability"] == "readOnly"
    wso2 = {a["name"] for a in schemas["urn:scim:wso2:schema"]["attributes"]}
    assert {"accountLocked", "accountDisabled", "accountState"} <= wso2
    one = scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
    assert one.status_code == 200
    assert one.json()["name"] == "Group"
    assert_scim_error(scim.get("/Schemas/urn:nope"), 404)
    assert_scim_error(scim.get("/ResourceTypes/Nope"), 404)
