"""Bad input to the users, groups and roles APIs: always a 4xx in the error shape,
never a 500, and never a partial write."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import Group, Role, User
from apps.users.services import group_create, role_create, user_create
from tests.api_helpers import assert_error

USERS = "/api/server/v1/users"
GROUPS = "/api/server/v1/groups"
ROLES = "/api/server/v1/roles"
MISSING = "11111111-2222-3333-4444-555555555555"
PASSWORD = "Str0ng-passw0rd"
DEEP = '{"name": "x", "attributes": ' + "[" * 100_000 + "]" * 100_000 + "}"


def snapshot() -> dict[str, Any]:
    """Everything these APIs can write, to prove a refused request wrote nothing."""
    return {
        "users": list(
            User.objects.order_by("id").values_list(
                "id", "username", "email", "given_name", "family_name", "phone", "attributes", "state", "password"
            )
        ),
        "groups": list(Group.objects.order_by("id").values_list("id", "name", "description")),
        "members": sorted(Group.members.through.objects.values_list("group_id", "user_id")),
        "roles": list(Role.objects.order_by("id").values_list("id", "name")),
        "role_scopes": sorted(Role.permissions.through.objects.values_list("role_id", "scope_id")),
        "role_users": sorted(Role.users.through.objects.values_list("role_id", "user_id")),
        "role_groups": sorted(Role.groups.through.objects.values_list("role_id", "group_id")),
    }


@pytest.fixture
def world(root_org: Organization, admin_user: User, other_tenant: Organization) -> dict[str, Any]:
    """Root's alice in group Staff with role Viewer; ids that belong elsewhere."""
    alice = user_create(actor=admin_user, organization=root_org, username="alice", password=PASSWORD)
    staff = group_create(actor=admin_user, organization=root_org, name="Staff", member_ids=[alice.id])
    viewer = role_create(
        actor=admin_user,
        organization=root_org,
        name="Viewer",
        permissions=["internal_user_mgt_view"],
        user_ids=[alice.id],
        group_ids=[staff.id],
    )
    sub_org = organization_create(actor=admin_user, parent=root_org, name="Branch")
    sub_user = user_create(actor=admin_user, organization=sub_org, username="branch-user")
    acme_user = User.objects.get(organization=other_tenant, username="admin")
    acme_group = group_create(actor=None, organization=other_tenant, name="Acme Staff")
    return {
        "alice": alice,
        "staff": staff,
        "viewer": viewer,
        "sub_user": sub_user,
        "acme_user": acme_user,
        "acme_group": acme_group,
    }


def common_bad_bodies(prefix: str) -> list[tuple[str, int, str | None]]:
    """Raw bodies every create/update endpoint must refuse."""
    return [
        ('{"name": "x",', 400, f"{prefix}-60001"),
        ("{'single': 'quotes'}", 400, f"{prefix}-60001"),
        ("[]", 400, f"{prefix}-60001"),
        ('[{"name": "x"}]', 400, f"{prefix}-60001"),
        ("42", 400, f"{prefix}-60001"),
        ('"text"', 400, f"{prefix}-60001"),
        ("true", 400, f"{prefix}-60001"),
        (DEEP, 400, None),
    ]


# --- users ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "status", "code"), common_bad_bodies("UMG"))
def test_user_create_rejects_malformed_json(
    admin_api: APIClient, world: dict[str, Any], raw: str, status: int, code: str | None
) -> None:
    before = snapshot()

    assert_error(admin_api.post(USERS, raw, content_type="application/json"), status, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "UMG-60002"),
        ({"username": ""}, 400, "UMG-60002"),
        ({"username": None}, 400, "UMG-60002"),
        ({"username": "new", "nickname": "x"}, 400, "UMG-60001"),
        ({"username": "new", "state": "active"}, 400, "UMG-60001"),
        ({"username": 42}, 400, "UMG-60001"),
        ({"username": ["new"]}, 400, "UMG-60001"),
        ({"username": {"v": "new"}}, 400, "UMG-60001"),
        ({"username": True}, 400, "UMG-60001"),
        ({"username": "u" * 300}, 400, "UMG-60001"),
        ({"username": "with space"}, 400, "UMG-60003"),
        ({"username": "tab\there"}, 400, "UMG-60003"),
        ({"username": "bell\u0007"}, 400, "UMG-60003"),
        ({"username": "nul\u0000"}, 400, "UMG-60001"),
        ({"username": "ALICE"}, 409, "UMG-60009"),
        ({"username": "new", "email": "not-an-email"}, 400, "UMG-60003"),
        ({"username": "new", "email": 7}, 400, "UMG-60001"),
        ({"username": "new", "email": "e" * 300 + "@example.com"}, 400, "UMG-60001"),
        ({"username": "new", "givenName": "g" * 300}, 400, "UMG-60001"),
        ({"username": "new", "familyName": ["x"]}, 400, "UMG-60001"),
        ({"username": "new", "phone": "call me"}, 400, "UMG-60003"),
        ({"username": "new", "phone": 94771234567}, 400, "UMG-60001"),
        ({"username": "new", "attributes": "team=blue"}, 400, "UMG-60001"),
        ({"username": "new", "attributes": ["team"]}, 400, "UMG-60001"),
        ({"username": "new", "attributes": {"big": "x" * 20_000}}, 400, "UMG-60003"),
        ({"username": "new", "attributes": {"k": "nul\u0000"}}, 400, "UMG-60003"),
        ({"username": "new", "attributes": {"nul\u0000": "v"}}, 400, "UMG-60003"),
        ({"username": "new", "attributes": {"deep": [{"x": "nul\u0000"}]}}, 400, "UMG-60003"),
        ({"username": "new", "kind": "robot"}, 400, "UMG-60001"),
        ({"username": "new", "kind": 1}, 400, "UMG-60001"),
        ({"username": "new", "password": 12345678}, 400, "UMG-60001"),
        ({"username": "new", "password": "short"}, 400, "UMG-60004"),
        ({"username": "new", "password": "p" * 300}, 400, "UMG-60001"),
    ],
)
def test_user_create_rejects_bad_fields(
    admin_api: APIClient, world: dict[str, Any], body: dict[str, Any], status: int, code: str
) -> None:
    before = snapshot()

    assert_error(admin_api.post(USERS, body, format="json"), status, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"password": PASSWORD}, 400, "UMG-60001"),
        ({"state": "locked"}, 400, "UMG-60001"),
        ({"id": MISSING}, 400, "UMG-60001"),
        ({"givenName": "Alicia", "email": "broken"}, 400, "UMG-60003"),
        ({"givenName": "Alicia", "phone": "nope"}, 400, "UMG-60003"),
        ({"givenName": "Alicia", "attributes": {"k": "\u0000"}}, 400, "UMG-60003"),
        ({"givenName": "g" * 300}, 400, "UMG-60001"),
        ({"username": "admin"}, 409, "UMG-60009"),
        ({"username": ""}, 400, "UMG-60002"),
        ({"username": "a b"}, 400, "UMG-60003"),
        ({"email": False}, 400, "UMG-60001"),
        ({"attributes": None}, 400, "UMG-60002"),
        ([{"givenName": "x"}], 400, "UMG-60001"),
    ],
)
def test_user_patch_rejects_bad_fields_without_partial_write(
    admin_api: APIClient, world: dict[str, Any], body: Any, status: int, code: str
) -> None:
    before = snapshot()

    assert_error(admin_api.patch(f"{USERS}/{world['alice'].id}", body, format="json"), status, code)
    assert snapshot() == before


@pytest.mark.parametrize(("raw", "status", "code"), common_bad_bodies("UMG"))
def test_user_patch_rejects_malformed_json(
    admin_api: APIClient, world: dict[str, Any], raw: str, status: int, code: str | None
) -> None:
    before = snapshot()

    assert_error(admin_api.patch(f"{USERS}/{world['alice'].id}", raw, content_type="application/json"), status, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "UMG-60002"),
        ({"state": "frozen"}, "UMG-60001"),
        ({"state": 1}, "UMG-60001"),
        ({"state": ["locked"]}, "UMG-60001"),
        ({"state": "locked", "lockMinutes": 0}, "UMG-60001"),
        ({"state": "locked", "lockMinutes": -5}, "UMG-60001"),
        ({"state": "locked", "lockMinutes": "soon"}, "UMG-60001"),
        ({"state": "locked", "lockMinutes": {"m": 1}}, "UMG-60001"),
        ({"state": "locked", "lockMinutes": 10**12}, "UMG-60001"),
        ({"state": "locked", "reason": "x"}, "UMG-60001"),
        ("locked", "UMG-60001"),
    ],
)
def test_user_state_rejects_bad_bodies(admin_api: APIClient, world: dict[str, Any], body: Any, code: str) -> None:
    before = snapshot()

    assert_error(admin_api.put(f"{USERS}/{world['alice'].id}/state", body, format="json"), 400, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "UMG-60002"),
        ({"password": None}, "UMG-60002"),
        ({"password": 12345678}, "UMG-60001"),
        ({"password": ["Str0ng-passw0rd"]}, "UMG-60001"),
        ({"password": PASSWORD, "confirm": PASSWORD}, "UMG-60001"),
        ({"password": "1234"}, "UMG-60004"),
        ([PASSWORD], "UMG-60001"),
    ],
)
def test_user_password_rejects_bad_bodies(admin_api: APIClient, world: dict[str, Any], body: Any, code: str) -> None:
    before = snapshot()

    assert_error(admin_api.put(f"{USERS}/{world['alice'].id}/password", body, format="json"), 400, code)
    assert snapshot() == before


@pytest.mark.parametrize("user_id", ["not-a-uuid", MISSING, "42", "x" * 300, "%00"])
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"givenName": "x"}),
        ("delete", "", None),
        ("put", "/state", {"state": "locked"}),
        ("put", "/password", {"password": PASSWORD}),
    ],
)
def test_user_endpoints_with_unknown_or_malformed_ids_are_404(
    admin_api: APIClient, world: dict[str, Any], user_id: str, method: str, suffix: str, body: Any
) -> None:
    before = snapshot()

    response = getattr(admin_api, method)(f"{USERS}/{user_id}{suffix}", body, format="json")

    assert_error(response, 404, "UMG-60015")
    assert snapshot() == before


@pytest.mark.parametrize("who", ["sub_user", "acme_user"])
def test_users_of_other_orgs_are_404_here(admin_api: APIClient, world: dict[str, Any], who: str) -> None:
    before = snapshot()
    url = f"{USERS}/{world[who].id}"

    assert_error(admin_api.get(url), 404, "UMG-60015")
    assert_error(admin_api.patch(url, {"givenName": "x"}, format="json"), 404, "UMG-60015")
    assert_error(admin_api.put(f"{url}/state", {"state": "disabled"}, format="json"), 404, "UMG-60015")
    assert_error(admin_api.delete(url), 404, "UMG-60015")
    assert snapshot() == before


# --- list parameters (all three lists) ------------------------------------------------------


@pytest.mark.parametrize(("url", "prefix"), [(USERS, "UMG"), (GROUPS, "GRP"), (ROLES, "ROL")])
@pytest.mark.parametrize(
    ("params", "suffix"),
    [
        ({"limit": "-1"}, "60059"),
        ({"limit": "ten"}, "60059"),
        ({"limit": "2.5"}, "60059"),
        ({"offset": "-3"}, "60059"),
        ({"offset": "x"}, "60059"),
        ({"limit": "9" * 5000}, "60059"),
        ({"search": "a\u0000b"}, "60003"),
    ],
)
def test_lists_reject_bad_parameters(
    admin_api: APIClient, world: dict[str, Any], url: str, prefix: str, params: dict[str, str], suffix: str
) -> None:
    assert_error(admin_api.get(url, params), 400, f"{prefix}-{suffix}")


@pytest.mark.parametrize("url", [USERS, GROUPS, ROLES])
def test_lists_survive_odd_but_valid_parameters(admin_api: APIClient, world: dict[str, Any], url: str) -> None:
    for params in ({"search": "%_'\";--"}, {"search": "x" * 5000}, {"limit": "9" * 30}, {"offset": "9" * 30}):
        response = admin_api.get(url, params)
        assert response.status_code == 200, (params, response.content)
    assert admin_api.get(USERS, {"state": "not-a-state"}).json()["users"] == []


@pytest.mark.parametrize(
    "raw",
    [
        '{"username": "new\\ud800"}',
        '{"username": "new", "givenName": "\\udfff"}',
        '{"username": "new", "attributes": {"k": "\\ud83d"}}',
        '{"username": "new", "attributes": {"\\ud83d": "v"}}',
        '{"username": "new", "attributes": {"k": ["ok", {"n": "\\udc00"}]}}',
    ],
)
def test_user_create_rejects_unstorable_text(admin_api: APIClient, world: dict[str, Any], raw: str) -> None:
    before = snapshot()

    assert_error(admin_api.post(USERS, raw, content_type="application/json"), 400)
    assert_error(admin_api.patch(f"{USERS}/{world['alice'].id}", raw, content_type="application/json"), 400)
    assert snapshot() == before


# --- groups ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "status", "code"), common_bad_bodies("GRP"))
def test_group_create_rejects_malformed_json(
    admin_api: APIClient, world: dict[str, Any], raw: str, status: int, code: str | None
) -> None:
    before = snapshot()

    assert_error(admin_api.post(GROUPS, raw, content_type="application/json"), status, code)
    assert snapshot() == before


def _group_bodies() -> list[tuple[Any, int, str]]:
    return [
        ({}, 400, "GRP-60002"),
        ({"name": "  "}, 400, "GRP-60002"),
        ({"name": "G", "owner": "me"}, 400, "GRP-60001"),
        ({"name": 5}, 400, "GRP-60001"),
        ({"name": ["G"]}, 400, "GRP-60001"),
        ({"name": "g" * 300}, 400, "GRP-60001"),
        ({"name": "G", "description": "d" * 2000}, 400, "GRP-60001"),
        ({"name": "G", "description": {"d": 1}}, 400, "GRP-60001"),
        ({"name": "staff"}, 409, "GRP-60009"),
        ({"name": "G", "members": "alice"}, 400, "GRP-60001"),
        ({"name": "G", "members": {"id": MISSING}}, 400, "GRP-60001"),
        ({"name": "G", "members": [1]}, 400, "GRP-60001"),
        ({"name": "G", "members": [None]}, 400, "GRP-60002"),
        ({"name": "G", "members": ["not-a-uuid"]}, 400, "GRP-60003"),
        ({"name": "G", "members": [MISSING]}, 400, "GRP-60011"),
        ({"name": "G", "members": ["{alice}", "sub_user"]}, 400, "GRP-60011"),
        ({"name": "G", "members": ["{alice}", "acme_user"]}, 400, "GRP-60011"),
        ({"name": "G", "members": ["{alice}", "not-a-uuid"]}, 400, "GRP-60003"),
    ]


def _resolve(body: Any, world: dict[str, Any]) -> Any:
    """Swap placeholders (``"{alice}"``, ``"sub_user"``, ...) for real ids."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    for key in ("members", "users", "groups"):
        if isinstance(out.get(key), list):
            out[key] = [
                str(world[item.strip("{}")].id) if isinstance(item, str) and item.strip("{}") in world else item
                for item in out[key]
            ]
    return out


@pytest.mark.parametrize(("body", "status", "code"), _group_bodies())
def test_group_create_rejects_bad_fields_and_creates_nothing(
    admin_api: APIClient, world: dict[str, Any], body: Any, status: int, code: str
) -> None:
    before = snapshot()

    assert_error(admin_api.post(GROUPS, _resolve(body, world), format="json"), status, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "Renamed", "members": ["{alice}", "acme_user"]}, 400, "GRP-60011"),
        ({"name": "Renamed", "members": ["not-a-uuid"]}, 400, "GRP-60003"),
        ({"name": "Renamed", "description": "d" * 2000}, 400, "GRP-60001"),
        ({"name": ""}, 400, "GRP-60002"),
        ({"description": 3}, 400, "GRP-60001"),
        ({"members": None}, 400, "GRP-60002"),
        ({"colour": "red"}, 400, "GRP-60001"),
        ([], 400, "GRP-60001"),
    ],
)
def test_group_patch_rejects_bad_fields_without_partial_write(
    admin_api: APIClient, world: dict[str, Any], body: Any, status: int, code: str
) -> None:
    before = snapshot()

    response = admin_api.patch(f"{GROUPS}/{world['staff'].id}", _resolve(body, world), format="json")

    assert_error(response, status, code)
    assert snapshot() == before


def test_group_rename_to_a_taken_name_is_a_conflict(
    admin_api: APIClient, world: dict[str, Any], root_org: Organization, admin_user: User
) -> None:
    other = group_create(actor=admin_user, organization=root_org, name="Other")
    before = snapshot()

    assert_error(admin_api.patch(f"{GROUPS}/{other.id}", {"name": "STAFF"}, format="json"), 409, "GRP-60009")
    assert snapshot() == before


@pytest.mark.parametrize("group_id", ["not-a-uuid", MISSING, "acme_group"])
def test_group_endpoints_with_unknown_ids_are_404(admin_api: APIClient, world: dict[str, Any], group_id: str) -> None:
    before = snapshot()
    url = f"{GROUPS}/{world[group_id].id if group_id in world else group_id}"

    assert_error(admin_api.get(url), 404, "GRP-60015")
    assert_error(admin_api.patch(url, {"name": "x"}, format="json"), 404, "GRP-60015")
    assert_error(admin_api.delete(url), 404, "GRP-60015")
    assert snapshot() == before


# --- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "status", "code"), common_bad_bodies("ROL"))
def test_role_create_rejects_malformed_json(
    admin_api: APIClient, world: dict[str, Any], raw: str, status: int, code: str | None
) -> None:
    before = snapshot()

    assert_error(admin_api.post(ROLES, raw, content_type="application/json"), status, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "ROL-60002"),
        ({"name": ""}, 400, "ROL-60002"),
        ({"name": "R", "audience": "application"}, 400, "ROL-60001"),
        ({"name": 1}, 400, "ROL-60001"),
        ({"name": "r" * 300}, 400, "ROL-60001"),
        ({"name": "viewer"}, 409, "ROL-60009"),
        ({"name": "R", "permissions": "internal_user_mgt_view"}, 400, "ROL-60001"),
        ({"name": "R", "permissions": [1]}, 400, "ROL-60001"),
        ({"name": "R", "permissions": [""]}, 400, "ROL-60002"),
        ({"name": "R", "permissions": ["internal_user_mgt_view", "internal_launch_rockets"]}, 400, "ROL-60004"),
        ({"name": "R", "permissions": ["p" * 300]}, 400, "ROL-60001"),
        ({"name": "R", "users": "alice"}, 400, "ROL-60001"),
        ({"name": "R", "users": ["not-a-uuid"]}, 400, "ROL-60003"),
        ({"name": "R", "users": [MISSING]}, 400, "ROL-60011"),
        ({"name": "R", "users": ["{alice}", "acme_user"]}, 400, "ROL-60011"),
        ({"name": "R", "users": ["{alice}", "sub_user"]}, 400, "ROL-60011"),
        ({"name": "R", "groups": [True]}, 400, "ROL-60001"),
        ({"name": "R", "groups": ["not-a-uuid"]}, 400, "ROL-60003"),
        ({"name": "R", "groups": ["{staff}", "acme_group"]}, 400, "ROL-60011"),
        (
            {"name": "R", "permissions": ["internal_user_mgt_view"], "users": ["{alice}"], "groups": [MISSING]},
            400,
            "ROL-60011",
        ),
    ],
)
def test_role_create_rejects_bad_fields_and_creates_nothing(
    admin_api: APIClient, world: dict[str, Any], body: Any, status: int, code: str
) -> None:
    before = snapshot()

    assert_error(admin_api.post(ROLES, _resolve(body, world), format="json"), status, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "Renamed", "permissions": ["internal_launch_rockets"]}, 400, "ROL-60004"),
        ({"name": "Renamed", "permissions": ["internal_group_mgt_view"], "users": ["acme_user"]}, 400, "ROL-60011"),
        ({"name": "Renamed", "groups": ["acme_group"]}, 400, "ROL-60011"),
        ({"name": "administrator"}, 409, "ROL-60009"),
        ({"permissions": None}, 400, "ROL-60002"),
        ({"users": "x"}, 400, "ROL-60001"),
        ({"scopes": []}, 400, "ROL-60001"),
        ("Renamed", 400, "ROL-60001"),
    ],
)
def test_role_patch_rejects_bad_fields_without_partial_write(
    admin_api: APIClient, world: dict[str, Any], body: Any, status: int, code: str
) -> None:
    before = snapshot()

    response = admin_api.patch(f"{ROLES}/{world['viewer'].id}", _resolve(body, world), format="json")

    assert_error(response, status, code)
    assert snapshot() == before


@pytest.mark.parametrize("role_id", ["not-a-uuid", MISSING, "1"])
def test_role_endpoints_with_unknown_ids_are_404(admin_api: APIClient, world: dict[str, Any], role_id: str) -> None:
    before = snapshot()
    url = f"{ROLES}/{role_id}"

    assert_error(admin_api.get(url), 404, "ROL-60015")
    assert_error(admin_api.patch(url, {"name": "x"}, format="json"), 404, "ROL-60015")
    assert_error(admin_api.delete(url), 404, "ROL-60015")
    assert snapshot() == before


def test_another_tenants_role_is_404(admin_api: APIClient, world: dict[str, Any], other_tenant: Organization) -> None:
    acme_admin_role = Role.objects.get(organization=other_tenant, name="Administrator")
    before = snapshot()

    assert_error(admin_api.get(f"{ROLES}/{acme_admin_role.id}"), 404, "ROL-60015")
    assert_error(admin_api.delete(f"{ROLES}/{acme_admin_role.id}"), 404, "ROL-60015")
    assert snapshot() == before


@pytest.mark.parametrize("url", [USERS, GROUPS, ROLES])
def test_non_json_content_type_is_415(admin_api: APIClient, world: dict[str, Any], url: str) -> None:
    before = snapshot()

    assert_error(admin_api.post(url, "name=x&username=x", content_type="application/x-www-form-urlencoded"), 415)
    assert snapshot() == before


@pytest.mark.parametrize("field", ["givenName", "familyName", "email", "phone"])
def test_lone_surrogates_in_profile_text_are_refused_not_a_500(admin_api, root_org, field):
    body = '{"username": "surrogate-user", "FIELD": "bad \\ud800 text"}'.replace("FIELD", field)
    before = User.objects.count()
    response = admin_api.post("/api/server/v1/users", body, content_type="application/json")
    assert_error(response, 400)
    assert User.objects.count() == before


def test_lone_surrogates_in_group_names_are_refused(admin_api, root_org):
    response = admin_api.post("/api/server/v1/groups", '{"name": "g \\udfff"}', content_type="application/json")
    assert_error(response, 400)
