"""THE validation service: every data type, multi-valued, required, read-only,
uniqueness per organization, objects, and Unicode in any script."""

from __future__ import annotations

import unicodedata

import pytest

from apps.attributes.services import AttributeValueConflict, validate_user_attributes
from apps.core.errors import Conflict, InvalidInput
from apps.orgs.services import organization_create
from apps.users.models import User
from apps.users.services import user_create, user_update


def _error(organization, values, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_user_attributes(organization, values, **kwargs)
    return caught.value


def test_integer_values_are_parsed_bounded_and_explained(root_org, employee_level):
    assert validate_user_attributes(root_org, {"employeeLevel": "7"}) == {"employeeLevel": 7}
    assert validate_user_attributes(root_org, {"employeeLevel": 3}) == {"employeeLevel": 3}
    error = _error(root_org, {"employeeLevel": "abc"})
    assert (error.code, error.message, error.field) == (
        "UMG-60003",
        "Employee level must be a whole number.",
        "employeeLevel",
    )
    assert _error(root_org, {"employeeLevel": "2.5"}).message == "Employee level must be a whole number."
    assert _error(root_org, {"employeeLevel": True}).message == "Employee level must be a whole number."
    assert _error(root_org, {"employeeLevel": 11}).message == "Employee level must be at most 10."
    assert _error(root_org, {"employeeLevel": 0}).message == "Employee level must be at least 1."


def test_decimal_boolean_and_datetime_are_normalised(root_org, define):
    define(root_org, "height", "Height", data_type="decimal")
    define(root_org, "newsletter", "Newsletter", data_type="boolean")
    define(root_org, "hiredAt", "Hired at", data_type="date_time")
    assert validate_user_attributes(root_org, {"height": "1.750"}) == {"height": "1.75"}
    assert validate_user_attributes(root_org, {"height": 2}) == {"height": "2"}
    assert _error(root_org, {"height": "tall"}).message == "Height must be a number."
    assert _error(root_org, {"height": "NaN"}).message == "Height must be a number."
    assert validate_user_attributes(root_org, {"newsletter": "TRUE"}) == {"newsletter": True}
    assert validate_user_attributes(root_org, {"newsletter": False}) == {"newsletter": False}
    assert _error(root_org, {"newsletter": "yes"}).message == "Newsletter must be true or false."
    # Any offset is normalised to UTC; a time without an offset is ambiguous and refused.
    assert validate_user_attributes(root_org, {"hiredAt": "2024-05-31T16:30:00+02:00"}) == {
        "hiredAt": "2024-05-31T14:30:00Z"
    }
    assert _error(root_org, {"hiredAt": "2024-05-31T14:30:00"}).code == "UMG-60003"
    assert _error(root_org, {"hiredAt": "next tuesday"}).message.startswith("Hired at must be a date and time")


def test_text_rules_regex_length_and_options(root_org, define):
    define(root_org, "badge", "Badge", regex=r"^[A-Z]{2}\d{3}$", min_length=5, max_length=5)
    define(
        root_org,
        "shirtSize",
        "Shirt size",
        canonical_values=[{"label": "Small", "value": "S"}, {"label": "Large", "value": "L"}],
    )
    assert validate_user_attributes(root_org, {"badge": " AB123 "}) == {"badge": "AB123"}
    assert _error(root_org, {"badge": "AB12"}).message == "Badge must be at least 5 characters."
    assert _error(root_org, {"badge": "ab123"}).message == "Badge is not in the expected format."
    assert _error(root_org, {"badge": 12345}).message == "Badge must be text."
    assert validate_user_attributes(root_org, {"shirtSize": "L"}) == {"shirtSize": "L"}
    assert _error(root_org, {"shirtSize": "XL"}).message == "Shirt size must be one of: Small, Large."


def test_multi_valued_values_are_lists_without_duplicates(root_org, define):
    define(
        root_org,
        "languages",
        "Languages",
        multi_valued=True,
        canonical_values=[{"label": "English", "value": "en"}, {"label": "日本語", "value": "ja"}],
    )
    define(root_org, "luckyNumbers", "Lucky numbers", data_type="integer", multi_valued=True)
    assert validate_user_attributes(root_org, {"languages": ["ja", "en", "ja"]}) == {"languages": ["ja", "en"]}
    assert validate_user_attributes(root_org, {"languages": "en"}) == {"languages": ["en"]}
    assert validate_user_attributes(root_org, {"languages": []}) == {"languages": None}
    assert _error(root_org, {"languages": ["en", "fr"]}).message == "Languages must be one of: English, 日本語."
    assert validate_user_attributes(root_org, {"luckyNumbers": ["7", 13]}) == {"luckyNumbers": [7, 13]}
    assert _error(root_org, {"employeeNumber": ["1", "2"]}).message == "Employee Number takes a single value."


def test_required_only_on_a_whole_attribute_set(root_org, define):
    define(root_org, "costCode", "Cost code", required=True)
    assert validate_user_attributes(root_org, {"department": "Sales"}) == {"department": "Sales"}
    error = _error(root_org, {"department": "Sales"}, partial=False)
    assert (error.code, error.message, error.field) == ("UMG-60002", "Cost code is required.", "costCode")
    assert _error(root_org, {"costCode": "  "}).message == "Cost code is required."
    with pytest.raises(InvalidInput, match="Cost code is required."):
        user_create(actor=None, organization=root_org, username="nocode")
    user = user_create(actor=None, organization=root_org, username="withcode", attributes={"costCode": "CC-1"})
    assert user.attributes == {"costCode": "CC-1"}


def test_read_only_attributes_keep_their_value_unless_the_system_writes(root_org, define):
    define(root_org, "badgeId", "Badge ID", read_only=True)
    with pytest.raises(InvalidInput, match="Badge ID is read-only.") as caught:
        user_create(actor=None, organization=root_org, username="ro", attributes={"badgeId": "B1"})
    assert caught.value.code == "UMG-60011"
    assert validate_user_attributes(root_org, {"badgeId": "B1"}, system=True) == {"badgeId": "B1"}
    user = user_create(actor=None, organization=root_org, username="ro")
    User.objects.filter(pk=user.pk).update(attributes={"badgeId": "B1"})
    user.refresh_from_db()
    # Sending the current value back (a form round trip) is not a change.
    assert validate_user_attributes(root_org, {"badgeId": "B1"}, user=user) == {"badgeId": "B1"}
    with pytest.raises(InvalidInput, match="Badge ID is read-only."):
        user_update(actor=None, user=user, attributes={"badgeId": "B2"})


def test_unique_within_the_users_organization_only(root_org, other_tenant, define):
    define(root_org, "nationalId", "National ID", unique=True)
    define(other_tenant, "nationalId", "National ID", unique=True)
    alice = user_create(actor=None, organization=root_org, username="alice", attributes={"nationalId": "X-1"})
    with pytest.raises(AttributeValueConflict) as caught:
        user_create(actor=None, organization=root_org, username="bob", attributes={"nationalId": "X-1"})
    assert (caught.value.status, caught.value.code) == (409, "UMG-60012")
    assert caught.value.message == "Another user already has this National ID."
    # Alice keeps her own value; another tenant and a sub-organization may repeat it.
    user_update(actor=None, user=alice, attributes={"nationalId": "X-1", "department": "R&D"})
    user_create(actor=None, organization=other_tenant, username="bob", attributes={"nationalId": "X-1"})
    branch = organization_create(actor=None, parent=root_org, name="Branch")
    user_create(actor=None, organization=branch, username="carol", attributes={"nationalId": "X-1"})


def test_sub_organizations_use_the_roots_definitions(root_org, employee_level):
    branch = organization_create(actor=None, parent=root_org, name="Branch")
    with pytest.raises(InvalidInput, match="Employee level must be a whole number."):
        user_create(actor=None, organization=branch, username="dave", attributes={"employeeLevel": "abc"})


def test_object_values_are_stored_as_their_sub_attributes(root_org, define):
    define(root_org, "officeBuilding", "Building")
    define(root_org, "officeFloor", "Floor", data_type="integer")
    define(
        root_org,
        "office",
        "Office",
        data_type="complex",
        sub_attributes=["http://wso2.org/claims/officeBuilding", "http://wso2.org/claims/officeFloor"],
    )
    assert validate_user_attributes(root_org, {"office": {"officeBuilding": "B7", "officeFloor": "3"}}) == {
        "officeBuilding": "B7",
        "officeFloor": 3,
    }
    assert _error(root_org, {"office": {"officeFloor": "top"}}).message == "Floor must be a whole number."
    assert _error(root_org, {"office": "B7"}).message.startswith("Office must be an object")


def test_undeclared_keys_are_kept_as_given(root_org):
    assert validate_user_attributes(root_org, {"team": "blue"}) == {"team": "blue"}


UNICODE_VALUES = {
    "japanese": "山田 太郎",
    "arabic": "عبد الله",
    "devanagari": "देवनागरी",
    "emoji": "🦊 Fox 🚀",
    "combining": "Łukasz 李",
}


@pytest.mark.parametrize("text", UNICODE_VALUES.values(), ids=UNICODE_VALUES.keys())
def test_any_script_is_stored_returned_and_searched(root_org, define, admin_api, text):
    define(root_org, "nickname2", "Nick")
    response = admin_api.post(
        "/api/server/v1/users",
        {"username": "intl", "givenName": text, "attributes": {"nickname2": text}},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = admin_api.get(response["Location"]).json()
    assert body["givenName"] == text
    assert body["attributes"] == {"nickname2": text}
    # Stored values are found by the same text (PostgreSQL and SQLite alike).
    found = admin_api.get("/api/server/v1/users", {"search": text}).json()["users"]
    assert [u["givenName"] for u in found] == [text]
    assert User.objects.filter(attributes__nickname2=text).count() == 1


def test_combining_marks_are_stored_nfc(root_org, define):
    define(root_org, "city", "City")
    decomposed = "Ame\u0301lie in Mu\u0308nchen"  # e + combining acute, u + combining diaeresis
    user = user_create(
        actor=None,
        organization=root_org,
        username="Ame\u0301lie",
        given_name=decomposed,
        attributes={"city": decomposed},
    )
    user.refresh_from_db()
    composed = unicodedata.normalize("NFC", decomposed)
    assert user.username == "Amélie"
    assert len(user.username) == 6
    assert user.given_name == composed
    assert user.attributes["city"] == composed
    # The username rule: NFC, then unique ignoring case, so another spelling of it is the same account.
    with pytest.raises(Conflict, match="already exists"):
        user_create(actor=None, organization=root_org, username="ame\u0301lie")


def test_unstorable_text_is_refused_with_the_attribute_name(root_org, employee_level, define):
    define(root_org, "motto", "Motto")
    assert _error(root_org, {"motto": "bad\x00"}).message == "Motto must not contain NUL or surrogate characters."
