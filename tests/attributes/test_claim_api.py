"""Claim management API in WSO2's shapes: local claims, dialects, mappings,
CMT- errors, scopes and tenant isolation."""

from __future__ import annotations

import base64

import pytest

from apps.attributes.models import LocalClaim
from apps.orgs.services import organization_create
from tests.api_helpers import assert_error

LOCAL = "/api/server/v1/claim-dialects/local/claims"
DIALECTS = "/api/server/v1/claim-dialects"
SCIM_CUSTOM = "urn:scim:schemas:extension:custom:User"


def b64(uri: str) -> str:
    return base64.urlsafe_b64encode(uri.encode()).rstrip(b"=").decode()


def claim_body(name: str, **fields) -> dict:
    return {
        "claimURI": f"http://wso2.org/claims/{name}",
        "displayName": fields.pop("displayName", name.title()),
        "attributeMapping": [{"mappedAttribute": name, "userstore": "PRIMARY"}],
        **fields,
    }


def test_default_claims_dialects_and_mappings_are_seeded(admin_api):
    claims = {c["claimURI"]: c for c in admin_api.get(LOCAL).json()}
    for name in (
        "username",
        "emailaddress",
        "givenname",
        "lastname",
        "mobile",
        "country",
        "dob",
        "employeeNumber",
        "emails.work",
        "phoneNumbers.home",
        "manager",
        "accountLocked",
        "accountDisabled",
    ):
        assert f"http://wso2.org/claims/{name}" in claims, name
    email = claims["http://wso2.org/claims/emailaddress"]
    assert email["id"] == "aHR0cDovL3dzbzIub3JnL2NsYWltcy9lbWFpbGFkZHJlc3M"
    assert email["dialectURI"] == "http://wso2.org/claims"
    assert email["attributeMapping"] == [{"mappedAttribute": "email", "userstore": "PRIMARY"}]
    assert claims["http://wso2.org/claims/accountLocked"]["dataType"] == "boolean"
    assert claims["http://wso2.org/claims/accountLocked"]["inputFormat"] == {"inputType": "toggle"}
    dialects = {d["dialectURI"]: d for d in admin_api.get(DIALECTS).json()}
    assert dialects["http://wso2.org/oidc/claim"]["id"] == "aHR0cDovL3dzbzIub3JnL29pZGMvY2xhaW0"
    assert dialects["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["id"] == (
        "dXJuOmlldGY6cGFyYW1zOnNjaW06c2NoZW1hczpleHRlbnNpb246ZW50ZXJwcmlzZToyLjA6VXNlcg"
    )
    assert dialects["http://wso2.org/claims"]["id"] == "local"
    oidc = admin_api.get(f"{DIALECTS}/aHR0cDovL3dzbzIub3JnL29pZGMvY2xhaW0/claims").json()
    by_name = {c["claimURI"]: c["mappedLocalClaimURI"] for c in oidc}
    assert by_name["given_name"] == "http://wso2.org/claims/givenname"
    assert by_name["email_verified"] == "http://wso2.org/claims/emailVerified"
    assert by_name["postal_code"] == "http://wso2.org/claims/postalcode"


def test_create_read_update_delete_a_custom_attribute(admin_api):
    body = claim_body(
        "employeeLevel",
        displayName="Employee level",
        dataType="integer",
        inputFormat={"inputType": "number_input"},
        properties=[{"key": "minValue", "value": "1"}, {"key": "maxValue", "value": "10"}],
        supportedByDefault=True,
        displayOrder=5,
    )
    created = admin_api.post(LOCAL, body, format="json")
    assert created.status_code == 201, created.content
    claim = created.json()
    assert created["Location"].endswith(f"{LOCAL}/{b64(body['claimURI'])}")
    assert claim["id"] == b64(body["claimURI"])
    assert claim["dataType"] == "integer"
    assert claim["inputFormat"] == {"inputType": "number_input"}
    assert {"key": "minValue", "value": "1"} in claim["properties"]
    assert admin_api.get(created["Location"]).json() == claim
    # It is mapped in the custom SCIM schema automatically.
    custom = admin_api.get(f"{DIALECTS}/{b64(SCIM_CUSTOM)}/claims").json()
    assert {"claimURI": f"{SCIM_CUSTOM}:employeeLevel", "mappedLocalClaimURI": body["claimURI"]} in [
        {k: c[k] for k in ("claimURI", "mappedLocalClaimURI")} for c in custom
    ]
    updated = admin_api.put(created["Location"], {**body, "displayName": "Level", "required": True}, format="json")
    assert updated.status_code == 200, updated.content
    assert (updated.json()["displayName"], updated.json()["required"]) == ("Level", True)
    assert admin_api.delete(created["Location"]).status_code == 204
    assert_error(admin_api.get(created["Location"]), 404, "CMT-50019")
    assert not LocalClaim.objects.filter(claim_uri=body["claimURI"]).exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"dataType": "boolean", "multiValued": True}, "CMT-60018"),
        ({"dataType": "integer", "canonicalValues": [{"label": "One", "value": "1"}]}, "CMT-60019"),
        (
            {
                "dataType": "string",
                "canonicalValues": [{"label": "Work", "value": "WORK"}],
                "multiValued": False,
                "inputFormat": {"inputType": "checkbox_group"},
            },
            "CMT-60017",
        ),
        ({"dataType": "complex"}, "CMT-60014"),
        ({"dataType": "boolean", "inputFormat": {"inputType": "dropdown"}}, "CMT-60017"),
        ({"dataType": "mystery"}, "CMT-50037"),
        ({"regEx": "(unclosed"}, "CMT-50037"),
        ({"displayName": " "}, "CMT-60003"),
        ({"claimURI": "http://example.com/claims/x"}, "CMT-50037"),
        (
            {
                "dataType": "integer",
                "properties": [{"key": "minValue", "value": "5"}, {"key": "maxValue", "value": "1"}],
            },
            "CMT-50037",
        ),
        ({"unknownField": 1}, "CMT-60001"),
        ({"multiValued": "yes"}, "CMT-60001"),
    ],
)
def test_invalid_definitions_are_refused_with_cmt_codes(admin_api, fields, code):
    body = {**claim_body("workPhoneType"), **fields}
    assert_error(admin_api.post(LOCAL, body, format="json"), 400, code)


def test_options_attribute_with_dropdown_is_accepted(admin_api):
    body = claim_body(
        "contactType",
        dataType="string",
        canonicalValues=[{"label": "Work", "value": "WORK"}],
        multiValued=False,
        inputFormat={"inputType": "dropdown"},
    )
    response = admin_api.post(LOCAL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["canonicalValues"] == [{"label": "Work", "value": "WORK"}]


def test_date_time_spelled_data_time_is_accepted(admin_api):
    response = admin_api.post(LOCAL, claim_body("hiredAt", dataType="data_time"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["dataType"] == "date_time"
    assert response.json()["inputFormat"] == {"inputType": "date_picker"}


def test_system_claims_keep_type_and_cannot_be_deleted(admin_api):
    url = f"{LOCAL}/{b64('http://wso2.org/claims/emailaddress')}"
    current = admin_api.get(url).json()
    put = {k: current[k] for k in ("claimURI", "displayName", "attributeMapping", "multiValued")}
    assert_error(admin_api.put(url, {**put, "dataType": "integer"}, format="json"), 400, "CMT-60013")
    assert_error(admin_api.put(url, {**put, "multiValued": True}, format="json"), 400, "CMT-60012")
    renamed = admin_api.put(url, {**put, "displayName": "E-mail"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["displayName"] == "E-mail"
    assert_error(admin_api.delete(url), 400, "CMT-50037")
    assert_error(
        admin_api.put(url, {**put, "claimURI": "http://wso2.org/claims/other"}, format="json"), 400, "CMT-50021"
    )


def test_a_mapped_claim_cannot_be_deleted_until_the_mapping_goes(admin_api):
    created = admin_api.post(LOCAL, claim_body("favouriteColour"), format="json")
    oidc = f"{DIALECTS}/{b64('http://wso2.org/oidc/claim')}/claims"
    mapping = admin_api.post(
        oidc,
        {"claimURI": "favourite_colour", "mappedLocalClaimURI": "http://wso2.org/claims/favouriteColour"},
        format="json",
    )
    assert mapping.status_code == 201, mapping.content
    assert mapping.json()["claimDialectURI"] == "http://wso2.org/oidc/claim"
    body = assert_error(admin_api.delete(created["Location"]), 400, "CMT-50031")
    assert "http://wso2.org/oidc/claim" in body["description"]
    assert admin_api.delete(mapping["Location"]).status_code == 204
    assert admin_api.delete(created["Location"]).status_code == 204


def test_duplicate_claims_and_mappings_conflict(admin_api):
    assert admin_api.post(LOCAL, claim_body("badge"), format="json").status_code == 201
    assert_error(admin_api.post(LOCAL, claim_body("badge"), format="json"), 409, "CMT-50039")
    oidc = f"{DIALECTS}/{b64('http://wso2.org/oidc/claim')}/claims"
    duplicate = {"claimURI": "email", "mappedLocalClaimURI": "http://wso2.org/claims/badge"}
    assert_error(admin_api.post(oidc, duplicate, format="json"), 409, "CMT-50038")
    unknown = {"claimURI": "nope", "mappedLocalClaimURI": "http://wso2.org/claims/none"}
    assert_error(admin_api.post(oidc, unknown, format="json"), 400, "CMT-50036")


def test_object_attributes_need_flat_sub_attributes(admin_api):
    admin_api.post(LOCAL, claim_body("officeBuilding"), format="json")
    admin_api.post(LOCAL, claim_body("officeFloor", dataType="integer"), format="json")
    subs = ["http://wso2.org/claims/officeBuilding", "http://wso2.org/claims/officeFloor"]
    office = admin_api.post(LOCAL, claim_body("office", dataType="complex", subAttributes=subs), format="json")
    assert office.status_code == 201, office.content
    # Sub-attributes are mapped as office.<sub> in the custom SCIM schema (CMT-60015's shape).
    custom = {c["claimURI"] for c in admin_api.get(f"{DIALECTS}/{b64(SCIM_CUSTOM)}/claims").json()}
    assert {
        f"{SCIM_CUSTOM}:office",
        f"{SCIM_CUSTOM}:office.officeBuilding",
        f"{SCIM_CUSTOM}:office.officeFloor",
    } <= custom
    nested = claim_body("campus", dataType="complex", subAttributes=["http://wso2.org/claims/office"])
    assert_error(admin_api.post(LOCAL, nested, format="json"), 400, "CMT-60016")


def test_custom_dialects_and_their_claims(admin_api):
    created = admin_api.post(DIALECTS, {"dialectURI": "urn:example:hr"}, format="json")
    assert created.status_code == 201, created.content
    dialect = created.json()
    assert dialect["id"] == b64("urn:example:hr")
    assert_error(admin_api.post(DIALECTS, {"dialectURI": "urn:example:hr"}, format="json"), 409, "CMT-60002")
    claims_url = f"{DIALECTS}/{dialect['id']}/claims"
    mapped = admin_api.post(
        claims_url,
        {"claimURI": "urn:example:hr:grade", "mappedLocalClaimURI": "http://wso2.org/claims/title"},
        format="json",
    )
    assert mapped.status_code == 201, mapped.content
    changed = admin_api.put(
        mapped["Location"],
        {"claimURI": "urn:example:hr:grade", "mappedLocalClaimURI": "http://wso2.org/claims/department"},
        format="json",
    )
    assert changed.json()["mappedLocalClaimURI"] == "http://wso2.org/claims/department"
    assert admin_api.delete(created["Location"]).status_code == 204
    assert_error(admin_api.get(claims_url), 404, "CMT-50016")
    scim = b64("urn:ietf:params:scim:schemas:core:2.0:User")
    assert_error(admin_api.delete(f"{DIALECTS}/{scim}"), 400, "CMT-50037")
    assert_error(admin_api.get(f"{DIALECTS}/not-base64!"), 404, "CMT-50016")


def test_changing_the_data_type_converts_stored_values_or_refuses(admin_api, root_org, make_user):
    created = admin_api.post(LOCAL, claim_body("level"), format="json")
    url = created["Location"]
    alice = make_user(root_org, "alice", attributes={"level": "42"})
    as_integer = admin_api.put(url, {**claim_body("level"), "dataType": "integer"}, format="json")
    assert as_integer.status_code == 200, as_integer.content
    alice.refresh_from_db()
    assert alice.attributes == {"level": 42}
    bob = make_user(root_org, "bob", attributes={"level": 7})
    assert admin_api.put(url, {**claim_body("level"), "dataType": "string"}, format="json").status_code == 200
    bob.refresh_from_db()
    assert bob.attributes == {"level": "7"}
    make_user(root_org, "carol", attributes={"level": "senior"})
    body = assert_error(admin_api.put(url, {**claim_body("level"), "dataType": "integer"}, format="json"), 400)
    assert body["code"] == "CMT-60020"
    assert body["message"].startswith("1 user has a value that cannot be converted")


def test_scopes_are_enforced(api_client, admin_user, mint_token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user, ['internal_claim_meta_view'])}")
    assert api_client.get(LOCAL).status_code == 200
    assert_error(api_client.post(LOCAL, claim_body("x"), format="json"), 403)
    assert_error(api_client.delete(f"{LOCAL}/{b64('http://wso2.org/claims/country')}"), 403)
    api_client.credentials()
    assert api_client.get(LOCAL).status_code == 401


def test_tenants_never_see_each_others_attributes(admin_api, other_admin, mint_token, api_client):
    created = admin_api.post(LOCAL, claim_body("rootOnly"), format="json")
    assert created.status_code == 201
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(other_admin)}")
    uris = {c["claimURI"] for c in api_client.get("/t/acme/api/server/v1/claim-dialects/local/claims").json()}
    assert "http://wso2.org/claims/rootOnly" not in uris
    assert "http://wso2.org/claims/emailaddress" in uris  # its own defaults
    assert_error(api_client.get(f"/t/acme{created['Location']}"), 404, "CMT-50019")
    assert_error(api_client.delete(f"/t/acme{created['Location']}"), 404, "CMT-50019")


def test_sub_organizations_inherit_attributes_read_only(admin_api, root_org, admin_user, mint_token, api_client):
    admin_api.post(LOCAL, claim_body("region2"), format="json")
    branch = organization_create(actor=None, parent=root_org, name="Branch")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user)}")
    base = f"/t/root/o/{branch.id}/api/server/v1/claim-dialects/local/claims"
    uris = {c["claimURI"] for c in api_client.get(base).json()}
    assert "http://wso2.org/claims/region2" in uris
    assert_error(api_client.post(base, claim_body("branchOnly"), format="json"), 403, "CMT-60007")
