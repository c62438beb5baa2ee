"""/Users: create, read, query (filters translated to SQL), PUT, PATCH, DELETE, ETags and errors."""

from __future__ import annotations

from typing import Any

import pytest

from apps.attributes.services import local_claim_create
from apps.core.models import AuditLog, OutboxEvent
from apps.users.models import User
from tests.scim.conftest import CUSTOM, ENTERPRISE, USER_SCHEMA, WSO2, assert_scim_error

pytestmark = pytest.mark.django_db

JAPANESE = "山田"
ARABIC = "عبد الله"
EMOJI = "🚀 launch 🎉"


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {r["userName"] for r in response.json()["Resources"]}


@pytest.fixture
def custom_claims(root_org):
    local_claim_create(
        actor=None, organization=root_org, claim_uri="http://wso2.org/claims/motto", display_name="Motto"
    )
    local_claim_create(
        actor=None,
        organization=root_org,
        claim_uri="http://wso2.org/claims/level",
        display_name="Employee level",
        data_type="integer",
    )


def test_create_returns_the_resource_with_location_etag_and_scim_media_type(scim):
    response = scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "bjensen",
            "password": "Very-secret-123",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
            "phoneNumbers": [{"value": "+94 77 123 4567", "type": "mobile"}],
        },
    )
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert response["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/t/root/scim2/Users/{body['id']}")
    assert response["ETag"] == body["meta"]["version"]
    assert body["name"] == {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Barbara Jensen"}
    assert body["emails"] == [{"value": "bjensen@example.com", "type": "work", "primary": True}]
    assert body["phoneNumbers"] == [{"value": "+94 77 123 4567", "type": "mobile"}]
    assert "password" not in body
    assert body[WSO2] == {"accountLocked": False, "accountDisabled": False, "accountState": "UNLOCKED"}
    user = User.objects.get(pk=body["id"])
    assert user.check_password("Very-secret-123")
    assert user.email == "bjensen@example.com"
    # The write went through the services: audit row and outbox event.
    assert AuditLog.objects.filter(action="user.create", target_id=body["id"]).exists()
    assert OutboxEvent.objects.filter(event_type="user.created", payload__id=body["id"]).exists()


def test_unicode_names_and_emoji_custom_attribute_round_trip_and_are_found_by_filter(scim, custom_claims):
    """Acceptance: Japanese and Arabic names and an emoji in a custom attribute read back byte-identical
    and a filter on that attribute finds the user."""
    created = scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA, CUSTOM],
            "userName": "yamada",
            "name": {"givenName": JAPANESE, "familyName": ARABIC},
            CUSTOM: {"motto": EMOJI},
        },
    )
    assert created.status_code == 201, created.content
    fetched = scim.get(f"/Users/{created.json()['id']}")
    raw = fetched.content.decode("utf-8")
    for text in (JAPANESE, ARABIC, EMOJI):
        assert text in raw  # not \u-escaped: byte-identical UTF-8
    body = fetched.json()
    assert body["name"]["givenName"] == JAPANESE
    assert body["name"]["familyName"] == ARABIC
    assert body[CUSTOM]["motto"] == EMOJI
    assert ids(scim.get("/Users", {"filter": f'{CUSTOM}:motto eq "{EMOJI}"'})) == {"yamada"}
    assert ids(scim.get("/Users", {"filter": f'{CUSTOM}:motto co "🚀"'})) == {"yamada"}
    assert ids(scim.get("/Users", {"filter": f'name.givenName eq "{JAPANESE}"'})) == {"yamada"}
    assert ids(scim.get("/Users", {"filter": 'name.familyName sw "عبد"'})) == {"yamada"}


def test_integer_attribute_rejects_abc_with_the_attribute_services_message(scim, custom_claims, root_org):
    """Acceptance (SCIM half): the message is the one of apps.attributes' validation service."""
    from apps.attributes.services import validate_user_attributes
    from apps.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as expected:
        validate_user_attributes(root_org, {"level": "abc"})
    response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "x1", CUSTOM: {"level": "abc"}})
    body = assert_scim_error(response, 400, "invalidValue")
    assert body["detail"] == expected.value.message == "Employee level must be a whole number."
    assert not User.objects.filter(username="x1").exists()
    user = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "x2", CUSTOM: {"level": 3}}).json()
    response = scim.patch(f"/Users/{user['id']}", [{"op": "replace", "path": f"{CUSTOM}:level", "value": "abc"}])
    assert assert_scim_error(response, 400, "invalidValue")["detail"] == "Employee level must be a whole number."
    assert ids(scim.get("/Users", {"filter": f"{CUSTOM}:level gt 2"})) == {"x2"}
    assert ids(scim.get("/Users", {"filter": f"{CUSTOM}:level eq 3"})) == {"x2"}
    assert ids(scim.get("/Users", {"filter": f"{CUSTOM}:level lt 3"})) == set()


@pytest.fixture
def people(create_user):
    create_user(
        "alice",
        name={"givenName": "Alice", "familyName": "Liddell"},
        emails=[
            {"value": "alice@work.example", "type": "work", "primary": True},
            {"value": "alice@home.example", "type": "home"},
        ],
        phoneNumbers=[{"value": "+1 555 0100", "type": "mobile"}],
    )
    create_user("bob", name={"givenName": "Bob", "familyName": "Builder"}, emails=[{"value": "bob@home.example"}])
    create_user("Carol", name={"givenName": "Carol"}, active=False)
    create_user(JAPANESE + "太郎", name={"givenName": JAPANESE})


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "ALICE"', {"alice"}),
        ('userName ne "alice"', {"bob", "Carol", JAPANESE + "太郎"}),
        ('userName co "li"', {"alice"}),
        ('userName sw "c"', {"Carol"}),
        ('userName ew "OB"', {"bob"}),
        ('userName gt "bob"', {"Carol", JAPANESE + "太郎"}),
        ('userName ge "bob"', {"bob", "Carol", JAPANESE + "太郎"}),
        ('userName lt "bob"', {"alice"}),
        ('userName le "bob"', {"alice", "bob"}),
        ("name.familyName pr", {"alice", "bob"}),
        ('emails.value eq "alice@home.example"', {"alice"}),
        ('emails eq "BOB@home.example"', {"bob"}),
        ('emails[type eq "work" and value co "@work"]', {"alice"}),
        ('emails[type eq "home"]', {"alice"}),
        ('emails[primary eq true and value ew "home.example"]', {"bob"}),
        ('phoneNumbers[type eq "mobile"]', {"alice"}),
        ("active eq false", {"Carol"}),
        ('not (active eq false) and name.givenName sw "A"', {"alice"}),
        ('userName eq "bob" or userName eq "carol" and active eq true', {"bob"}),
        ('(userName eq "bob" or userName eq "carol") and active eq false', {"Carol"}),
        (f'{USER_SCHEMA}:name.givenName eq "bob"', {"bob"}),
        ('name.formatted eq "alice liddell"', {"alice"}),
        ('displayName co "builder"', {"bob"}),
        (f"{WSO2}:accountDisabled eq true", {"Carol"}),
        (f"{WSO2}:accountState eq DISABLED", {"Carol"}),
        ('meta.created gt "2000-01-01T00:00:00Z"', {"alice", "bob", "Carol", JAPANESE + "太郎"}),
        ('meta.lastModified lt "2000-01-01T00:00:00Z"', set()),
        ('id eq "not-a-uuid"', set()),
        ('meta.resourceType eq "User" and userName eq "bob"', {"bob"}),
    ],
)
def test_filters(scim, people, admin_user, expression, expected):
    found = ids(scim.get("/Users", {"filter": expression}))
    assert found - {"admin"} == expected


def test_filter_on_groups_of_a_user(scim, people):
    alice = scim.get("/Users", {"filter": 'userName eq "alice"'}).json()["Resources"][0]
    group = scim.post("/Groups", {"displayName": "Engineers", "members": [{"value": alice["id"]}]}).json()
    assert ids(scim.get("/Users", {"filter": f'groups.value eq "{group["id"]}"'})) == {"alice"}
    assert ids(scim.get("/Users", {"filter": 'groups[display eq "engineers"]'})) == {"alice"}
    assert scim.get(f"/Users/{alice['id']}").json()["groups"][0]["display"] == "Engineers"


@pytest.mark.parametrize(
    ("expression", "scim_type"),
    [
        ('nosuch eq "x"', "invalidFilter"),
        ('urn:example:unknown:Thing:x eq "x"', "invalidFilter"),
        ("active co true", "invalidFilter"),
        ("active eq 3", "invalidFilter"),
        ('meta.created gt "yesterday"', "invalidFilter"),
        ("userName eq 5", "invalidFilter"),
        ('emails[nosuch eq "x"]', "invalidFilter"),
        ("userName eq", "invalidFilter"),
        ("(" * 200 + "userName pr" + ")" * 200, "invalidFilter"),
        ('userName eq "' + "x" * 5000 + '"', "invalidFilter"),
    ],
)
def test_bad_filters_are_400_invalid_filter(scim, expression, scim_type):
    assert_scim_error(scim.get("/Users", {"filter": expression}), 400, scim_type)


def test_paging_sorting_and_attribute_selection(scim, create_user):
    for n in range(5):
        create_user(f"user{n}", name={"familyName": f"F{4 - n}"})
    page = scim.get("/Users", {"filter": 'userName sw "user"', "startIndex": 2, "count": 2}).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in page["Resources"]] == ["user1", "user2"]
    by_family = scim.get(
        "/Users", {"filter": 'userName sw "user"', "sortBy": "name.familyName", "sortOrder": "descending"}
    ).json()
    assert [r["userName"] for r in by_family["Resources"]] == ["user0", "user1", "user2", "user3", "user4"]
    only = scim.get("/Users", {"filter": 'userName eq "user1"', "attributes": "userName,name.familyName"}).json()
    assert only["Resources"][0].keys() == {"schemas", "id", "userName", "name"}
    assert only["Resources"][0]["name"] == {"familyName": "F3"}
    without = scim.get("/Users", {"filter": 'userName eq "user1"', "excludedAttributes": "meta,name,emails"}).json()
    assert "meta" not in without["Resources"][0]
    assert "name" not in without["Resources"][0]
    assert "userName" in without["Resources"][0]
    count_only = scim.get("/Users", {"count": 0}).json()
    assert count_only["totalResults"] == 6
    assert count_only["Resources"] == []
    assert_scim_error(scim.get("/Users", {"sortBy": "password"}), 400, "invalidValue")
    assert_scim_error(scim.get("/Users", {"sortOrder": "sideways", "sortBy": "userName"}), 400, "invalidValue")
    assert_scim_error(scim.get("/Users", {"count": "many"}), 400, "invalidValue")


def test_search_with_post(scim, people):
    response = scim.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "a"',
            "attributes": ["userName"],
            "count": 10,
        },
    )
    assert ids(response) == {"alice", "admin"}


def test_patch_add_replace_remove_with_value_paths(scim, people):
    alice = scim.get("/Users", {"filter": 'userName eq "alice"'}).json()["Resources"][0]
    url = f"/Users/{alice['id']}"
    response = scim.patch(
        url,
        [
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "alice@new.example"},
            {"op": "remove", "path": 'emails[type eq "home"]'},
            {"op": "add", "path": "phoneNumbers", "value": [{"value": "+1 555 0199", "type": "work"}]},
            {"op": "replace", "value": {"name": {"givenName": "Alicia", "familyName": "Liddell"}}},
            {"op": "add", "value": {ENTERPRISE: {"forcePasswordReset": False}}},
        ],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["emails"] == [{"value": "alice@new.example", "type": "work", "primary": True}]
    assert {p["type"] for p in body["phoneNumbers"]} == {"mobile", "work"}
    assert body["name"]["givenName"] == "Alicia"
    assert response["ETag"] != alice["meta"]["version"]
    user = User.objects.get(pk=alice["id"])
    assert user.email == "alice@new.example"
    assert "emails.home" not in user.attributes
    assert ids(scim.get("/Users", {"filter": 'emails[type eq "work" and value eq "alice@new.example"]'})) == {"alice"}


def test_patch_errors_have_the_right_scim_type(scim, people):
    bob = scim.get("/Users", {"filter": 'userName eq "bob"'}).json()["Resources"][0]
    url = f"/Users/{bob['id']}"
    cases = [
        ([{"op": "replace", "path": "nosuch", "value": 1}], "invalidPath"),
        ([{"op": "replace", "path": "emails[type eq", "value": 1}], "invalidPath"),
        ([{"op": "remove"}], "noTarget"),
        ([{"op": "replace", "path": 'emails[type eq "work"].value', "value": "x@y.z"}], "noTarget"),
        ([{"op": "replace", "path": "id", "value": "x"}], "mutability"),
        ([{"op": "replace", "path": "groups", "value": []}], "mutability"),
        ([{"op": "replace", "path": f"{WSO2}:accountState", "value": "LOCKED"}], "mutability"),
        ([{"op": "replace", "path": "active", "value": "maybe"}], "invalidValue"),
        ([{"op": "replace", "path": "emails", "value": [{"value": "not-an-email"}]}], "invalidValue"),
        ([{"op": "jump", "path": "userName", "value": "x"}], "invalidSyntax"),
        ([{"op": "add", "path": "userName"}], "invalidValue"),
    ]
    for operations, scim_type in cases:
        assert_scim_error(scim.patch(url, operations), 400, scim_type)
    response = scim.send("PATCH", url, {"schemas": ["urn:wrong"], "Operations": []})
    assert_scim_error(response, 400, "invalidSyntax")
    assert User.objects.get(pk=bob["id"]).email == "bob@home.example"


def test_put_replaces_and_clears_absent_attributes(scim, people):
    alice = scim.get("/Users", {"filter": 'userName eq "alice"'}).json()["Resources"][0]
    response = scim.put(
        f"/Users/{alice['id']}",
        {"schemas": [USER_SCHEMA], "id": "ignored", "userName": "alice2", "name": {"givenName": "A"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["userName"] == "alice2"
    assert body["id"] == alice["id"]
    assert "emails" not in body
    assert "phoneNumbers" not in body
    assert body["name"] == {"givenName": "A", "formatted": "A"}
    assert_scim_error(scim.put(f"/Users/{alice['id']}", {"schemas": [USER_SCHEMA]}), 400, "invalidValue")


def test_etags_if_match_412_and_if_none_match_304(scim, people):
    bob = scim.get("/Users", {"filter": 'userName eq "bob"'}).json()["Resources"][0]
    url = f"/Users/{bob['id']}"
    current = scim.get(url)
    etag = current["ETag"]
    assert etag.startswith('W/"')
    assert etag == current.json()["meta"]["version"]
    assert scim.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    ok = scim.patch(url, [{"op": "replace", "path": "displayName", "value": "Bobby"}], HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    assert ok["ETag"] != etag
    stale = scim.patch(url, [{"op": "replace", "path": "displayName", "value": "Robert"}], HTTP_IF_MATCH=etag)
    assert_scim_error(stale, 412)
    assert_scim_error(scim.put(url, {"userName": "bob"}, HTTP_IF_MATCH=etag), 412)
    assert_scim_error(scim.delete(url, HTTP_IF_MATCH=etag), 412)
    assert scim.get(url).json()["displayName"] == "Bobby"
    assert scim.delete(url, HTTP_IF_MATCH=ok["ETag"]).status_code == 204
    assert_scim_error(scim.get(url), 404)


def test_uniqueness_and_bad_bodies(scim, people):
    assert_scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ALICE"}), 409, "uniqueness")
    assert_scim_error(scim.post("/Users", {"schemas": [USER_SCHEMA]}), 400, "invalidValue")
    assert_scim_error(scim.post("/Users", raw="{not json"), 400, "invalidSyntax")
    assert_scim_error(scim.post("/Users", raw="[" * 100_000 + "]" * 100_000), 400, "invalidSyntax")
    assert_scim_error(scim.post("/Users", ["a list"]), 400, "invalidSyntax")
    assert_scim_error(scim.post("/Users", {"userName": "x", "name": "not an object"}), 400, "invalidValue")
    assert_scim_error(scim.post("/Users", {"userName": "x", "password": "1"}), 400, "invalidValue")
    assert_scim_error(scim.get("/Users/00000000-0000-0000-0000-000000000000"), 404)
    assert_scim_error(scim.get("/Users/not-a-uuid"), 404)


def test_account_states_are_readable_writable_and_filterable(scim, people, admin_user):
    bob = scim.get("/Users", {"filter": 'userName eq "bob"'}).json()["Resources"][0]
    url = f"/Users/{bob['id']}"
    locked = scim.patch(url, [{"op": "replace", "path": f"{WSO2}:accountLocked", "value": True}]).json()
    assert locked[WSO2] == {"accountLocked": True, "accountDisabled": False, "accountState": "LOCKED"}
    assert locked["active"] is True
    assert ids(scim.get("/Users", {"filter": f"{WSO2}:accountLocked eq true"})) == {"bob"}
    reset = scim.patch(url, [{"op": "add", "value": {ENTERPRISE: {"forcePasswordReset": True}}}]).json()
    assert reset[WSO2]["accountState"] == "PENDING_FUPR"
    assert ids(scim.get("/Users", {"filter": f"{WSO2}:accountState eq PENDING_FUPR"})) == {"bob"}
    invited = scim.post("/Users", {"userName": "dave", WSO2: {"askPassword": "true"}}).json()
    assert invited[WSO2]["accountState"] == "PENDING_AP"
    assert ids(scim.get("/Users", {"filter": f'{WSO2}:accountState eq "PENDING_AP"'})) == {"dave"}
    set_up = scim.patch(f"/Users/{invited['id']}", [{"op": "add", "path": "password", "value": "Dave-secret-987"}])
    assert set_up.json()[WSO2]["accountState"] == "UNLOCKED"
    pending = scim.post("/Users", {"userName": "erin", WSO2: {"verifyEmail": True}}).json()
    assert pending[WSO2]["accountState"] == "PENDING_EV"
    disabled = scim.patch(url, [{"op": "replace", "path": "active", "value": False}]).json()
    assert disabled[WSO2]["accountDisabled"] is True
    assert disabled["active"] is False
    enabled = scim.patch(url, [{"op": "replace", "path": "active", "value": "True"}]).json()
    assert enabled["active"] is True
    assert enabled[WSO2]["accountState"] == "UNLOCKED"
    assert User.objects.get(pk=bob["id"]).state == User.State.ACTIVE


def test_delete_goes_through_the_service(scim, people):
    bob = scim.get("/Users", {"filter": 'userName eq "bob"'}).json()["Resources"][0]
    assert scim.delete(f"/Users/{bob['id']}").status_code == 204
    assert not User.objects.filter(pk=bob["id"]).exists()
    assert AuditLog.objects.filter(action="user.delete", target_id=bob["id"]).exists()
