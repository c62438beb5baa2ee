"""/Groups and /v2/Roles: CRUD, membership PATCH (set-based, constant query count), filters, errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.models import AuditLog
from apps.users.models import Group, Role, User
from tests.scim.conftest import GROUP_SCHEMA, ROLE_SCHEMA, assert_scim_error

pytestmark = pytest.mark.django_db


def _bulk_users(org, prefix: str, count: int) -> list[User]:
    """Noise users inserted directly (no password hashing): only their ids matter here."""
    return User.objects.bulk_create(User(organization=org, username=f"{prefix}{n}") for n in range(count))


def test_group_crud_and_members(scim, create_user):
    alice, bob = create_user("alice"), create_user("bob")
    created = scim.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineers", "members": [{"value": alice["id"]}]}
    )
    assert created.status_code == 201, created.content
    group = created.json()
    assert group["members"] == [
        {"value": alice["id"], "display": "alice", "$ref": alice["meta"]["location"], "type": "User"}
    ]
    assert created["Location"].endswith(f"/scim2/Groups/{group['id']}")
    url = f"/Groups/{group['id']}"
    patched = scim.patch(url, [{"op": "add", "path": "members", "value": [{"value": bob["id"]}]}])
    assert patched.status_code == 204
    assert patched["ETag"] != group["meta"]["version"]
    assert {m["display"] for m in scim.get(url).json()["members"]} == {"alice", "bob"}
    removed = scim.patch(
        url, [{"op": "remove", "path": f'members[value eq "{alice["id"]}"]'}], QUERY_STRING="attributes=members"
    )
    assert removed.status_code == 200
    assert [m["display"] for m in removed.json()["members"]] == ["bob"]
    by_display = scim.patch(url, [{"op": "remove", "path": 'members[display eq "BOB"]'}])
    assert by_display.status_code == 204
    assert "members" not in scim.get(url).json()
    renamed = scim.patch(
        url, [{"op": "replace", "value": {"displayName": "Builders", "members": [{"value": bob["id"]}]}}]
    )
    assert renamed.status_code == 204
    assert scim.get(url).json()["displayName"] == "Builders"
    put = scim.put(url, {"schemas": [GROUP_SCHEMA], "displayName": "Team", "members": []})
    assert put.status_code == 200
    assert "members" not in put.json()
    assert AuditLog.objects.filter(action="group.members.add", target_id=group["id"]).exists()
    assert scim.delete(url).status_code == 204
    assert_scim_error(scim.get(url), 404)


def test_group_filters_and_errors(scim, create_user):
    alice = create_user("alice")
    scim.post("/Groups", {"displayName": "Engineers", "members": [{"value": alice["id"]}]})
    scim.post("/Groups", {"displayName": "Sales"})
    names = lambda r: {g["displayName"] for g in r.json()["Resources"]}  # noqa: E731
    assert names(scim.get("/Groups", {"filter": 'displayName sw "eng"'})) == {"Engineers"}
    assert names(scim.get("/Groups", {"filter": f'members.value eq "{alice["id"]}"'})) == {"Engineers"}
    assert names(scim.get("/Groups", {"filter": 'members[display eq "alice"]'})) == {"Engineers"}
    assert names(scim.get("/Groups", {"filter": "not (members pr)"})) == {"Sales"}
    listed = scim.get("/Groups", {"excludedAttributes": "members"}).json()
    assert all("members" not in g for g in listed["Resources"])
    assert_scim_error(scim.post("/Groups", {"displayName": "engineers"}), 409, "uniqueness")
    assert_scim_error(scim.post("/Groups", {"members": []}), 400, "invalidValue")
    assert_scim_error(scim.post("/Groups", {"displayName": "X", "members": [{"value": "nope"}]}), 400, "invalidValue")
    group = scim.get("/Groups", {"filter": 'displayName eq "Sales"'}).json()["Resources"][0]
    url = f"/Groups/{group['id']}"
    assert_scim_error(
        scim.patch(url, [{"op": "add", "path": "members", "value": [{"value": "x"}]}]), 400, "invalidValue"
    )
    assert_scim_error(scim.patch(url, [{"op": "remove", "path": 'members[value eq "x"]'}]), 400, "noTarget")
    assert_scim_error(scim.patch(url, [{"op": "replace", "path": "nosuch", "value": 1}]), 400, "invalidPath")
    assert_scim_error(
        scim.patch(url, [{"op": "replace", "path": 'members[value eq "a"].value', "value": "b"}]), 400, "mutability"
    )
    assert_scim_error(scim.patch(url, [{"op": "remove", "path": "displayName"}]), 400, "mutability")
    assert_scim_error(scim.get("/Groups", {"filter": 'members.nosuch eq "x"'}), 400, "invalidFilter")
    assert_scim_error(
        scim.post("/Groups", {"displayName": "Y", "members": [{"value": alice["id"], "type": "Group"}]}),
        400,
        "invalidValue",
    )


def _add_member_queries(scim, group: Group, user: User) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = scim.patch(
            f"/Groups/{group.pk}", [{"op": "add", "path": "members", "value": [{"value": str(user.pk)}]}]
        )
    assert response.status_code == 204, response.content
    return len(queries)


def test_adding_a_member_costs_the_same_on_a_large_and_a_small_group(scim, root_org):
    small, large = (
        Group.objects.create(organization=root_org, name="small"),
        Group.objects.create(organization=root_org, name="large"),
    )
    small.members.add(*_bulk_users(root_org, "s", 10))
    large.members.add(*_bulk_users(root_org, "l", 2000))
    newcomers = _bulk_users(root_org, "new", 3)
    _add_member_queries(scim, small, newcomers[2])  # warm per-process caches first
    small_cost = _add_member_queries(scim, small, newcomers[0])
    large_cost = _add_member_queries(scim, large, newcomers[1])
    assert small_cost == large_cost
    assert large.members.count() == 2001
    assert small_cost <= 15
    with CaptureQueriesContext(connection) as queries:
        response = scim.patch(
            f"/Groups/{large.pk}", [{"op": "remove", "path": f'members[value eq "{newcomers[1].pk}"]'}]
        )
    assert response.status_code == 204
    assert large.members.count() == 2000
    assert len(queries) <= small_cost + 2


def test_roles_v2_crud_and_assignment_patch(scim, create_user, root_org):
    alice = create_user("alice")
    group = scim.post("/Groups", {"displayName": "Editors"}).json()
    created = scim.post(
        "/v2/Roles",
        {
            "schemas": [ROLE_SCHEMA],
            "displayName": "Editor",
            "audience": {"value": str(root_org.pk), "type": "organization"},
            "permissions": [{"value": "internal_user_mgt_view"}],
        },
    )
    assert created.status_code == 201, created.content
    role = created.json()
    assert role["audience"] == {"value": str(root_org.pk), "display": root_org.name, "type": "organization"}
    assert role["permissions"] == [{"value": "internal_user_mgt_view", "display": "View users"}]
    url = f"/v2/Roles/{role['id']}"
    patched = scim.patch(
        url,
        [
            {"op": "add", "path": "users", "value": [{"value": alice["id"]}]},
            {"op": "add", "path": "groups", "value": [{"value": group["id"]}]},
            {"op": "add", "path": "permissions", "value": [{"value": "internal_user_mgt_list"}]},
        ],
    )
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert [u["value"] for u in body["users"]] == [alice["id"]]
    assert [g["display"] for g in body["groups"]] == ["Editors"]
    assert {p["value"] for p in body["permissions"]} == {"internal_user_mgt_view", "internal_user_mgt_list"}
    assert scim.get(f"/Users/{alice['id']}").json()["roles"][0]["display"] == "Editor"
    names = lambda r: {x["displayName"] for x in r.json()["Resources"]}  # noqa: E731
    assert names(scim.get("/v2/Roles", {"filter": f'users.value eq "{alice["id"]}"'})) == {"Editor"}
    assert names(scim.get("/v2/Roles", {"filter": 'permissions[value eq "internal_user_mgt_list"]'})) == {
        "Editor",
        "Administrator",
    }
    assert names(scim.get("/v2/Roles", {"filter": 'audience.type eq "organization" and displayName co "edit"'})) >= {
        "Editor"
    }
    removed = scim.patch(url, [{"op": "remove", "path": f'users[value eq "{alice["id"]}"]'}]).json()
    assert "users" not in removed
    assert_scim_error(
        scim.put(
            url,
            {
                "displayName": "Editor",
                "audience": {"value": "00000000-0000-0000-0000-000000000000", "type": "application"},
            },
        ),
        400,
        "mutability",
    )
    assert_scim_error(scim.patch(url, [{"op": "replace", "path": "audience", "value": {}}]), 400, "mutability")
    assert_scim_error(scim.post("/v2/Roles", {"displayName": "editor"}), 409, "uniqueness")
    assert_scim_error(
        scim.post("/v2/Roles", {"displayName": "R", "permissions": [{"value": "nope"}]}), 400, "invalidValue"
    )
    assert scim.delete(url).status_code == 204
    assert not Role.objects.filter(pk=role["id"]).exists()


def test_roles_v2_with_an_application_audience(scim, root_org, other_tenant):
    """WSO2 roles v2: a role may belong to an application of this organization (audience type application)."""
    from apps.applications.services import application_create

    app, _secret = application_create(
        actor=None, organization=root_org, template_id="m2m-application", name="billing-service"
    )
    body = {
        "schemas": [ROLE_SCHEMA],
        "displayName": "Billing operator",
        "audience": {"type": "application", "value": str(app.uuid)},
    }
    created = scim.post("/v2/Roles", body)
    assert created.status_code == 201, created.content
    role = created.json()
    assert role["audience"] == {"value": str(app.uuid), "display": "billing-service", "type": "application"}
    stored = Role.objects.get(pk=role["id"])
    assert stored.audience == Role.Audience.APPLICATION
    assert stored.audience_application_id == app.pk
    listed = scim.get("/v2/Roles", {"filter": f'audience.value eq "{app.uuid}"'}).json()
    assert [r["displayName"] for r in listed["Resources"]] == ["Billing operator"]

    foreign, _ = application_create(actor=None, organization=other_tenant, template_id="m2m-application", name="x")
    for value in (str(foreign.uuid), "not-a-uuid", None):
        response = scim.post(
            "/v2/Roles", {**body, "displayName": "Other", "audience": {"type": "application", "value": value}}
        )
        assert_scim_error(response, 400, "invalidValue")
    assert not Role.objects.filter(name="Other").exists()
