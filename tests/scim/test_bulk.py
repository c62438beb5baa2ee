"""/Bulk: bulkId references, failOnErrors, limits, per-operation authorization, no partial writes."""

from __future__ import annotations

import json

import pytest

from apps.scim.schema import MAX_BULK_OPERATIONS, MAX_BULK_PAYLOAD
from apps.users.models import Group, User
from tests.scim.conftest import BULK_REQUEST, PATCH_OP, USER_SCHEMA, ScimClient, assert_scim_error

pytestmark = pytest.mark.django_db


def bulk(client: ScimClient, operations: list[dict], **extra) -> dict:
    response = client.post("/Bulk", {"schemas": [BULK_REQUEST], "Operations": operations, **extra})
    assert response.status_code == 200, response.content
    return response.json()


def statuses(body: dict) -> list[str]:
    return [op["status"] for op in body["Operations"]]


def new_user(bulk_id: str, name: str, **data) -> dict:
    return {
        "method": "POST",
        "path": "/Users",
        "bulkId": bulk_id,
        "data": {"schemas": [USER_SCHEMA], "userName": name, **data},
    }


def test_bulk_ids_resolve_in_order_and_forward(scim):
    body = bulk(
        scim,
        [
            # The group refers to a user created by a later operation: it waits for it.
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g1",
                "data": {"displayName": "Crew", "members": [{"value": "bulkId:u2"}]},
            },
            new_user("u1", "ann"),
            new_user("u2", "ben"),
            {
                "method": "PATCH",
                "path": "/Groups/bulkId:g1",
                "data": {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": "bulkId:u1"}]}],
                },
            },
            new_user("u3", "cy"),
            {"method": "DELETE", "path": "/Users/bulkId:u3"},
        ],
    )
    assert statuses(body) == ["201", "201", "201", "200", "201", "204"], body["Operations"]
    created = body["Operations"][1]
    assert created["bulkId"] == "u1"
    assert created["location"].endswith(str(User.objects.get(username="ann").pk))
    group = Group.objects.get(name="Crew")
    assert {u.username for u in group.members.all()} == {"ann", "ben"}
    assert not User.objects.filter(username="cy").exists()


def test_fail_on_errors_stops_processing_and_failures_leave_nothing(scim, root_org):
    body = bulk(
        scim,
        [
            new_user("a", "bad1", password="1"),  # the password validators refuse it: no user at all
            new_user("b", "bad2", emails=[{"value": "nope"}]),
            new_user("c", "never"),
        ],
        failOnErrors=2,
    )
    assert statuses(body) == ["400", "400"]
    assert body["Operations"][0]["response"]["scimType"] == "invalidValue"
    assert not User.objects.filter(username__in=["bad1", "bad2", "never"]).exists()
    body = bulk(scim, [new_user("x", "dup"), new_user("y", "DUP"), {"method": "DELETE", "path": "/Users/bulkId:zzz"}])
    assert statuses(body) == ["201", "409", "409"]
    assert body["Operations"][1]["response"]["scimType"] == "uniqueness"
    circular = bulk(
        scim,
        [
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g1",
                "data": {"displayName": "A", "members": [{"value": "bulkId:g2"}]},
            },
            {
                "method": "POST",
                "path": "/Groups",
                "bulkId": "g2",
                "data": {"displayName": "B", "members": [{"value": "bulkId:g1"}]},
            },
        ],
    )
    assert statuses(circular) == ["409", "409"]


def test_per_operation_authorization(admin_user, scim_as, scim, root_org):
    """Acceptance: only internal_user_mgt_create → the users are created, the group PATCH gets 403."""
    group = scim.post("/Groups", {"displayName": "Ops"}).json()
    limited = scim_as(admin_user, ["internal_user_mgt_create"])
    body = bulk(
        limited,
        [
            new_user("u1", "kim"),
            new_user("u2", "lee"),
            {
                "method": "PATCH",
                "path": f"/Groups/{group['id']}",
                "data": {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": "bulkId:u1"}]}],
                },
            },
            {"method": "DELETE", "path": "/Users/bulkId:u2"},
        ],
    )
    assert statuses(body) == ["201", "201", "403", "403"]
    assert body["Operations"][2]["response"]["status"] == "403"
    assert set(User.objects.filter(username__in=["kim", "lee"]).values_list("username", flat=True)) == {"kim", "lee"}
    assert Group.objects.get(pk=group["id"]).members.count() == 0
    # WSO2's per-operation bulk scope works too; internal_bulk_resource_create allows everything.
    everything = scim_as(admin_user, ["internal_bulk_resource_create"])
    body = bulk(
        everything,
        [
            new_user("u3", "mo"),
            {
                "method": "PATCH",
                "path": f"/Groups/{group['id']}",
                "data": {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": "bulkId:u3"}]}],
                },
            },
            {"method": "POST", "path": "/v2/Roles", "bulkId": "r", "data": {"displayName": "Bulk role"}},
            {"method": "PUT", "path": "/v2/Roles/bulkId:r", "data": {"displayName": "Bulk role 2"}},
            {"method": "DELETE", "path": "/v2/Roles/bulkId:r"},
        ],
    )
    assert statuses(body) == ["201", "200", "201", "200", "204"]
    no_bulk_scope = scim_as(admin_user, ["internal_user_mgt_view"])
    assert_scim_error(no_bulk_scope.post("/Bulk", {"schemas": [BULK_REQUEST], "Operations": []}), 403)


def test_limits_and_bad_requests(scim):
    too_many = [new_user(f"b{n}", f"u{n}") for n in range(MAX_BULK_OPERATIONS + 1)]
    assert_scim_error(scim.post("/Bulk", {"schemas": [BULK_REQUEST], "Operations": too_many}), 413, "tooMany")
    huge = json.dumps({"schemas": [BULK_REQUEST], "Operations": [], "pad": "x" * (MAX_BULK_PAYLOAD + 1)})
    assert_scim_error(scim.post("/Bulk", raw=huge), 413, "tooMany")
    assert User.objects.filter(username="u0").count() == 0
    assert_scim_error(scim.post("/Bulk", {"schemas": ["x"], "Operations": []}), 400, "invalidSyntax")
    assert_scim_error(
        scim.post("/Bulk", {"schemas": [BULK_REQUEST], "Operations": [{"method": "GET", "path": "/Users"}]}),
        400,
        "invalidSyntax",
    )
    assert_scim_error(
        scim.post(
            "/Bulk", {"schemas": [BULK_REQUEST], "Operations": [{"method": "POST", "path": "/Users", "data": {}}]}
        ),
        400,
        "invalidSyntax",
    )
    assert_scim_error(
        scim.post("/Bulk", {"schemas": [BULK_REQUEST], "failOnErrors": 0, "Operations": []}), 400, "invalidValue"
    )
    assert_scim_error(scim.post("/Bulk", raw="{"), 400, "invalidSyntax")
    body = bulk(
        scim,
        [
            {"method": "POST", "path": "/Nowhere", "bulkId": "n", "data": {}},
            {"method": "PUT", "path": "/Users", "data": {}},
        ],
    )
    assert statuses(body) == ["404", "400"]
