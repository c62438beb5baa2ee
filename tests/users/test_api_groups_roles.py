"""Groups and roles through the API: members, permissions (scope names), user and
group assignment, and what those assignments let a user do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.orgs.models import Organization
from apps.users.models import Group, Role, User
from apps.users.services import group_create, role_create, user_create
from tests.api_helpers import assert_error, links_of

GROUPS = "/api/server/v1/groups"
ROLES = "/api/server/v1/roles"
USERS = "/api/server/v1/users"
PASSWORD = "Str0ng-passw0rd"


@pytest.fixture
def people(root_org: Organization, admin_user: User) -> dict[str, User]:
    return {
        name: user_create(actor=admin_user, organization=root_org, username=name, password=PASSWORD)
        for name in ("alice", "bob", "carol")
    }


@pytest.fixture
def as_user(basic_auth: Callable[[str, str], str]) -> Callable[[str], APIClient]:
    def make(username: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=basic_auth(username, PASSWORD))
        return client

    return make


def member_names(body: dict[str, Any]) -> list[str]:
    return sorted(m["username"] for m in body["members"])


# --- groups ---------------------------------------------------------------------------------


def test_create_group_with_members(admin_api: APIClient, people: dict[str, User]) -> None:
    response = admin_api.post(
        GROUPS,
        {"name": "Engineering", "description": "Builders", "members": [str(people["alice"].id), str(people["bob"].id)]},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["description"]) == ("Engineering", "Builders")
    assert member_names(body) == ["alice", "bob"]
    assert member_names(admin_api.get(f"{GROUPS}/{body['id']}").json()) == ["alice", "bob"]


def test_group_names_are_unique_ignoring_case(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    group_create(actor=admin_user, organization=root_org, name="Engineering")

    assert_error(admin_api.post(GROUPS, {"name": "engineering"}, format="json"), 409, "GRP-60009")
    assert Group.objects.count() == 1


def test_patch_group_replaces_members_and_renames(
    admin_api: APIClient, root_org: Organization, admin_user: User, people: dict[str, User]
) -> None:
    group = group_create(actor=admin_user, organization=root_org, name="Ops", member_ids=[people["alice"].id])

    response = admin_api.patch(
        f"{GROUPS}/{group.id}",
        {"name": "Operations", "members": [str(people["bob"].id), str(people["carol"].id)]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Operations"
    assert member_names(response.json()) == ["bob", "carol"]
    description_only = admin_api.patch(f"{GROUPS}/{group.id}", {"description": "24/7"}, format="json")
    assert member_names(description_only.json()) == ["bob", "carol"]
    emptied = admin_api.patch(f"{GROUPS}/{group.id}", {"members": []}, format="json")
    assert emptied.json()["members"] == []


def test_list_and_search_groups_with_pagination(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    for name in ("Alpha", "Beta", "Gamma", "Alphabet"):
        group_create(actor=admin_user, organization=root_org, name=name)

    searched = admin_api.get(GROUPS, {"search": "alpha"})
    assert [g["name"] for g in searched.json()["groups"]] == ["Alpha", "Alphabet"]

    first = admin_api.get(GROUPS, {"limit": 3})
    assert first.json()["totalResults"] == 4
    second = admin_api.get(links_of(first)["next"])
    assert [g["name"] for g in first.json()["groups"] + second.json()["groups"]] == [
        "Alpha",
        "Alphabet",
        "Beta",
        "Gamma",
    ]


def test_delete_group(admin_api: APIClient, root_org: Organization, admin_user: User, people: dict[str, User]) -> None:
    group = group_create(actor=admin_user, organization=root_org, name="Temp", member_ids=[people["alice"].id])

    assert admin_api.delete(f"{GROUPS}/{group.id}").status_code == 204

    assert_error(admin_api.get(f"{GROUPS}/{group.id}"), 404, "GRP-60015")
    assert User.objects.filter(pk=people["alice"].pk).exists()


def test_deleting_a_user_removes_them_from_groups_and_roles(
    admin_api: APIClient, root_org: Organization, admin_user: User, people: dict[str, User]
) -> None:
    ids = [people["alice"].id, people["bob"].id]
    group = group_create(actor=admin_user, organization=root_org, name="Team", member_ids=ids)
    role = role_create(actor=admin_user, organization=root_org, name="Viewer", user_ids=ids)

    assert admin_api.delete(f"{USERS}/{people['alice'].id}").status_code == 204

    assert member_names(admin_api.get(f"{GROUPS}/{group.id}").json()) == ["bob"]
    assert [u["username"] for u in admin_api.get(f"{ROLES}/{role.id}").json()["users"]] == ["bob"]


# --- roles ----------------------------------------------------------------------------------


def test_create_role_with_permissions_users_and_groups(
    admin_api: APIClient, root_org: Organization, admin_user: User, people: dict[str, User]
) -> None:
    group = group_create(actor=admin_user, organization=root_org, name="Support")

    response = admin_api.post(
        ROLES,
        {
            "name": "User Viewer",
            "permissions": ["internal_user_mgt_view", "internal_user_mgt_list"],
            "users": [str(people["alice"].id)],
            "groups": [str(group.id)],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "User Viewer"
    assert body["audience"] == "organization"
    assert body["permissions"] == ["internal_user_mgt_list", "internal_user_mgt_view"]
    assert [u["username"] for u in body["users"]] == ["alice"]
    assert [g["name"] for g in body["groups"]] == ["Support"]
    assert admin_api.get(f"{ROLES}/{body['id']}").json() == body


def test_role_names_are_unique_ignoring_case(admin_api: APIClient, root_org: Organization) -> None:
    before = Role.objects.count()

    assert_error(admin_api.post(ROLES, {"name": "administrator"}, format="json"), 409, "ROL-60009")
    assert Role.objects.count() == before


def test_role_with_one_unknown_permission_creates_nothing(admin_api: APIClient, root_org: Organization) -> None:
    before = Role.objects.count()

    response = admin_api.post(
        ROLES, {"name": "Half", "permissions": ["internal_user_mgt_view", "internal_launch_rockets"]}, format="json"
    )

    body = assert_error(response, 400, "ROL-60004")
    assert "internal_launch_rockets" in body["message"]
    assert Role.objects.count() == before


def test_patch_role_replaces_permissions_and_assignments(
    admin_api: APIClient, root_org: Organization, admin_user: User, people: dict[str, User]
) -> None:
    role = role_create(
        actor=admin_user,
        organization=root_org,
        name="Editors",
        permissions=["internal_user_mgt_view"],
        user_ids=[people["alice"].id],
    )

    response = admin_api.patch(
        f"{ROLES}/{role.id}",
        {"permissions": ["internal_group_mgt_view"], "users": [str(people["bob"].id)]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["permissions"] == ["internal_group_mgt_view"]
    assert [u["username"] for u in response.json()["users"]] == ["bob"]
    renamed = admin_api.patch(f"{ROLES}/{role.id}", {"name": "Group Viewers"}, format="json")
    assert renamed.json()["name"] == "Group Viewers"
    assert renamed.json()["permissions"] == ["internal_group_mgt_view"]


def test_list_search_and_delete_roles(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    role = role_create(actor=admin_user, organization=root_org, name="Auditor")

    assert [r["name"] for r in admin_api.get(ROLES).json()["roles"]] == ["Administrator", "Auditor"]
    assert [r["name"] for r in admin_api.get(ROLES, {"search": "aud"}).json()["roles"]] == ["Auditor"]
    assert admin_api.delete(f"{ROLES}/{role.id}").status_code == 204
    assert_error(admin_api.get(f"{ROLES}/{role.id}"), 404, "ROL-60015")


def test_api_resources_list_the_grantable_scopes(admin_api: APIClient, root_org: Organization) -> None:
    # more system APIs than one default page holds
    response = admin_api.get("/api/server/v1/api-resources?limit=100")

    assert response.status_code == 200
    scopes = {s["name"] for r in response.json()["apiResources"] for s in r["scopes"]}
    assert {"internal_user_mgt_view", "internal_org_user_mgt_view", "internal_role_mgt_create"} <= scopes


# --- what assignments grant -----------------------------------------------------------------


def test_role_assigned_directly_grants_its_scopes(
    admin_api: APIClient, people: dict[str, User], as_user: Callable[[str], APIClient]
) -> None:
    alice = as_user("alice")
    assert_error(alice.get(USERS), 403, "AUT-60003")

    created = admin_api.post(
        ROLES,
        {"name": "Lister", "permissions": ["internal_user_mgt_list"], "users": [str(people["alice"].id)]},
        format="json",
    )
    assert created.status_code == 201

    assert alice.get(USERS).status_code == 200
    assert_error(alice.post(USERS, {"username": "x"}, format="json"), 403, "AUT-60003")
    assert_error(alice.get(GROUPS), 403, "AUT-60003")


def test_role_assigned_through_a_group_grants_its_scopes_until_removed(
    admin_api: APIClient, root_org: Organization, admin_user: User, people: dict[str, User], as_user: Callable[..., Any]
) -> None:
    group = group_create(actor=admin_user, organization=root_org, name="Readers", member_ids=[people["bob"].id])
    role_create(
        actor=admin_user,
        organization=root_org,
        name="Group Reader",
        permissions=["internal_group_mgt_view"],
        group_ids=[group.id],
    )
    bob = as_user("bob")
    assert bob.get(GROUPS).status_code == 200

    assert admin_api.patch(f"{GROUPS}/{group.id}", {"members": []}, format="json").status_code == 200

    assert_error(bob.get(GROUPS), 403, "AUT-60003")
