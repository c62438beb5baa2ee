"""Bad input to the organizations API: always a 4xx in the error shape, never a
500, and never a partial write."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import User
from tests.api_helpers import assert_error

ORGS = "/api/server/v1/organizations"
MISSING = "11111111-2222-3333-4444-555555555555"


def snapshot() -> list[tuple[Any, ...]]:
    return list(
        Organization.objects.order_by("id").values_list("id", "name", "handle", "description", "status", "attributes")
    )


@pytest.fixture
def org_a(root_org: Organization, admin_user: User) -> Organization:
    return organization_create(
        actor=admin_user, parent=root_org, name="A", handle="org-a", attributes=[{"key": "Country", "value": "LK"}]
    )


def cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


# --- create ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"name": "x",', "ORG-60001"),
        ("not json at all", "ORG-60001"),
        ("[]", "ORG-60001"),
        ("[{}]", "ORG-60001"),
        ("42", "ORG-60001"),
        ('"a string"', "ORG-60001"),
        ('{"name": "\\ud800"}', None),
        ('{"name": "x", "attributes": ' + "[" * 100_000 + "]" * 100_000 + "}", "ORG-60001"),
    ],
)
def test_create_rejects_malformed_or_non_object_json(
    admin_api: APIClient, org_a: Organization, raw: str, code: str | None
) -> None:
    before = snapshot()

    response = admin_api.post(ORGS, raw, content_type="application/json")

    assert_error(response, 400, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "ORG-60002"),
        ({"name": ""}, 400, "ORG-60002"),
        ({"name": "   "}, 400, "ORG-60002"),
        ({"name": None}, 400, "ORG-60002"),
        ({"name": "ok", "colour": "blue"}, 400, "ORG-60001"),
        ({"name": 5}, 400, "ORG-60001"),
        ({"name": ["a"]}, 400, "ORG-60001"),
        ({"name": {"a": 1}}, 400, "ORG-60001"),
        ({"name": True}, 400, "ORG-60001"),
        ({"name": "n" * 300}, 400, "ORG-60001"),
        ({"name": "ok", "description": "d" * 2000}, 400, "ORG-60001"),
        ({"name": "ok", "description": 12}, 400, "ORG-60001"),
        ({"name": "ok", "orgHandle": 12}, 400, "ORG-60001"),
        ({"name": "ok", "orgHandle": "Bad Handle!"}, 400, "ORG-60086"),
        ({"name": "ok", "orgHandle": "-dash"}, 400, "ORG-60086"),
        ({"name": "ok", "orgHandle": "h" * 100}, 400, "ORG-60001"),
        ({"name": "ok", "orgHandle": "org-a"}, 409, "ORG-60085"),
        ({"name": "ok", "orgHandle": "root"}, 409, "ORG-60085"),
        ({"name": "ok", "type": "GALAXY"}, 400, "ORG-60001"),
        ({"name": "ok", "type": ["TENANT"]}, 400, "ORG-60001"),
        ({"name": "ok", "parentId": "not-a-uuid"}, 400, "ORG-60001"),
        ({"name": "ok", "parentId": ["x"]}, 400, "ORG-60001"),
        ({"name": "ok", "parentId": {"id": "x"}}, 400, "ORG-60001"),
        ({"name": "ok", "parentId": MISSING}, 400, "ORG-60005"),
        ({"name": "ok", "attributes": "Country=LK"}, 400, "ORG-60001"),
        ({"name": "ok", "attributes": {"Country": "LK"}}, 400, "ORG-60001"),
        ({"name": "ok", "attributes": [{"key": "Country"}]}, 400, "ORG-60002"),
        ({"name": "ok", "attributes": [{"key": "C", "value": "1", "extra": 1}]}, 400, "ORG-60001"),
        ({"name": "ok", "attributes": [{"key": "C", "value": 1}]}, 400, "ORG-60001"),
        ({"name": "ok", "attributes": [{"key": "C", "value": "1"}, {"key": "C", "value": "2"}]}, 400, "ORG-60004"),
        ({"name": "ok", "attributes": [{"key": "C", "value": "v" * 2000}]}, 400, "ORG-60001"),
        ({"name": "carbon.super"}, 400, "ORG-60017"),
        ({"name": "A"}, 400, "ORG-60070"),
        ({"name": "nul\u0000byte"}, 400, "ORG-60001"),
    ],
)
def test_create_rejects_bad_fields_without_writing(
    admin_api: APIClient, org_a: Organization, body: dict[str, Any], status: int, code: str
) -> None:
    before = snapshot()

    response = admin_api.post(ORGS, body, format="json")

    assert_error(response, status, code)
    assert snapshot() == before


def test_create_under_another_tenants_org_is_a_bad_parent(admin_api: APIClient, other_tenant: Organization) -> None:
    before = snapshot()

    response = admin_api.post(ORGS, {"name": "Sneaky", "parentId": str(other_tenant.id)}, format="json")

    assert_error(response, 400, "ORG-60005")
    assert snapshot() == before


def test_form_encoded_body_is_unsupported(admin_api: APIClient, root_org: Organization) -> None:
    response = admin_api.post(ORGS, "name=x", content_type="application/x-www-form-urlencoded")

    assert_error(response, 415)


# --- list: filters, limits, cursors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"filter": "name xx A"}, "ORG-60023"),
        ({"filter": "name"}, "ORG-60023"),
        ({"filter": "name eq"}, "ORG-60023"),
        ({"filter": "name co A or name co B"}, "ORG-60022"),
        ({"filter": "(name co A)"}, "ORG-60022"),
        ({"filter": "colour eq blue"}, "ORG-60025"),
        ({"filter": "name gt A"}, "ORG-60024"),
        ({"filter": "id co abc"}, "ORG-60024"),
        ({"filter": "id eq not-a-uuid"}, "ORG-60023"),
        ({"filter": "parentId eq 42"}, "ORG-60023"),
        ({"filter": "created gt yesterday"}, "ORG-60071"),
        ({"filter": "lastModified lt 2024-13-45"}, "ORG-60071"),
        ({"filter": "created co 2024-01-01"}, "ORG-60024"),
        ({"filter": "created gt 0001-01-01T00:00:00+01:00"}, "ORG-60071"),
        ({"filter": "lastModified lt 9999-12-31T23:59:59-01:00"}, "ORG-60071"),
        ({"filter": "attributes.Country gt A"}, "ORG-60024"),
        ({"filter": "name eq a\u0000b"}, "ORG-60023"),
        ({"filter": "name eq a" + " " * 50_000 + "x"}, "ORG-60023"),
        ({"filter": "attributes.Country eq L\u0000K"}, "ORG-60023"),
        ({"limit": "-1"}, "ORG-60059"),
        ({"limit": "ten"}, "ORG-60059"),
        ({"limit": "1.5"}, "ORG-60059"),
        ({"after": "!!!not-a-cursor!!!"}, "ORG-60061"),
        ({"after": "e30"}, "ORG-60061"),
        ({"before": cursor({"a": 1})}, "ORG-60061"),
        ({"after": cursor(["2024-01-01T00:00:00+00:00", "not-a-uuid"])}, "ORG-60061"),
        ({"before": cursor(["2024-01-01T00:00:00+00:00", "not-a-uuid"])}, "ORG-60061"),
        ({"after": cursor(["not-a-date", MISSING])}, "ORG-60061"),
        ({"after": cursor([1, 2])}, "ORG-60061"),
        ({"after": cursor(["0001-01-01T00:00:00+01:00", MISSING])}, "ORG-60061"),
        ({"after": cursor(["2024-01-01T00:00:00+00:00", MISSING, "extra"])}, "ORG-60061"),
        ({"after": "é"}, "ORG-60061"),
        ({"after": cursor(["2024-01-01T00:00:00+00:00", MISSING]), "before": cursor(["x", MISSING])}, "ORG-60060"),
        ({"recursive": "maybe"}, "ORG-60026"),
    ],
)
def test_list_rejects_bad_parameters(
    admin_api: APIClient, org_a: Organization, params: dict[str, str], code: str
) -> None:
    assert_error(admin_api.get(ORGS, params), 400, code)


@pytest.mark.parametrize(
    "expression",
    ["attributes.has_key eq x", "attributes.contains co x", "attributes.a.b eq x", "attributes.x__y eq z"],
)
def test_odd_attribute_filter_keys_are_not_server_errors(
    admin_api: APIClient, org_a: Organization, expression: str
) -> None:
    response = admin_api.get(ORGS, {"filter": expression})

    assert response.status_code < 500, response.content
    if response.status_code != 200:
        assert_error(response)


def test_huge_limit_is_capped_not_an_error(admin_api: APIClient, org_a: Organization) -> None:
    response = admin_api.get(ORGS, {"limit": "9" * 40})

    assert response.status_code == 200, response.content
    assert [o["name"] for o in response.json()["organizations"]] == ["A"]


# --- read / update / delete -----------------------------------------------------------------


@pytest.mark.parametrize("org_id", ["not-a-uuid", MISSING, "1", "%20", "x" * 300])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_or_malformed_id_is_404(admin_api: APIClient, root_org: Organization, org_id: str, method: str) -> None:
    body: Any = {"name": "x", "status": "ACTIVE"}
    if method == "patch":
        body = [{"operation": "REPLACE", "path": "/name", "value": "x"}]
    response = getattr(admin_api, method)(f"{ORGS}/{org_id}", body, format="json")

    assert_error(response, 404, "ORG-60015")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"operation": "REPLACE", "path": "/name", "value": "x"}, "ORG-60008"),
        ([], "ORG-60008"),
        (7, "ORG-60008"),
        ([1], "ORG-60001"),
        (["REPLACE"], "ORG-60001"),
        ([{"path": "/name", "value": "x"}], None),
        ([{"operation": "REPLACE", "value": "x"}], None),
        ([{"operation": "MOVE", "path": "/name", "value": "x"}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/name", "value": "x", "extra": 1}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": 5, "value": "x"}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/colour", "value": "x"}], "ORG-60011"),
        ([{"operation": "REPLACE", "path": "/orgHandle", "value": "x"}], "ORG-60011"),
        ([{"operation": "REPLACE", "path": "/version", "value": "v2"}], "ORG-60011"),
        ([{"operation": "REPLACE", "path": "/attributes/", "value": "x"}], "ORG-60011"),
        ([{"operation": "REPLACE", "path": "/name"}], "ORG-60010"),
        ([{"operation": "REPLACE", "path": "/name", "value": 5}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/name", "value": ["x"]}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/name", "value": {"x": 1}}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/name", "value": ""}], "ORG-60002"),
        ([{"operation": "REPLACE", "path": "/name", "value": "n" * 300}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/name", "value": "x\u0000y"}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/description", "value": "d" * 2000}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/description", "value": "x\u0000y"}], "ORG-60001"),
        ([{"operation": "REPLACE", "path": "/status", "value": "ARCHIVED"}], "ORG-60028"),
        ([{"operation": "REPLACE", "path": "/status", "value": True}], "ORG-60001"),
        ([{"operation": "ADD", "path": "/attributes/Region", "value": ""}], "ORG-60016"),
        ([{"operation": "ADD", "path": "/attributes/Region", "value": 3}], "ORG-60016"),
        ([{"operation": "ADD", "path": "/attributes/Region", "value": "v" * 2000}], "ORG-60001"),
        ([{"operation": "ADD", "path": "/attributes/" + "k" * 280, "value": "v"}], "ORG-60001"),
        ([{"operation": "ADD", "path": "/attributes/Region", "value": "a\u0000b"}], "ORG-60001"),
        (
            [
                {"operation": "REPLACE", "path": "/name", "value": "Renamed"},
                {"operation": "REPLACE", "path": "/status", "value": "nope"},
            ],
            "ORG-60028",
        ),
    ],
)
def test_patch_rejects_bad_operations_without_writing(
    admin_api: APIClient, org_a: Organization, body: Any, code: str | None
) -> None:
    before = snapshot()

    response = admin_api.patch(f"{ORGS}/{org_a.id}", body, format="json")

    assert_error(response, 400, code)
    assert snapshot() == before


@pytest.mark.parametrize(
    "raw",
    [
        '[{"operation": ',
        '[{"operation": "REPLACE", "path": "/name", "value": "x\\ud800"}]',
        '[{"operation": "REPLACE", "path": "/description", "value": "\\udfff"}]',
        '[{"operation": "ADD", "path": "/attributes/Region", "value": "\\ud83d"}]',
        '[{"operation": "ADD", "path": "/attributes/\\ud83d", "value": "x"}]',
    ],
)
def test_patch_rejects_malformed_json_and_unstorable_text(admin_api: APIClient, org_a: Organization, raw: str) -> None:
    before = snapshot()

    response = admin_api.patch(f"{ORGS}/{org_a.id}", raw, content_type="application/json")

    assert_error(response, 400, "ORG-60001")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"status": "ACTIVE"}, "ORG-60002"),
        ({"name": "A"}, "ORG-60002"),
        ({"name": "A", "status": "ARCHIVED"}, "ORG-60001"),
        ({"name": "A", "status": "ACTIVE", "orgHandle": "new-handle"}, "ORG-60001"),
        ({"name": 1, "status": "ACTIVE"}, "ORG-60001"),
        ({"name": "n" * 300, "status": "ACTIVE"}, "ORG-60001"),
        ({"name": "A", "status": "ACTIVE", "description": "d" * 2000}, "ORG-60001"),
        ({"name": "A", "status": "ACTIVE", "attributes": "x"}, "ORG-60001"),
        ({"name": "A", "status": "ACTIVE", "attributes": [{"key": "", "value": "x"}]}, "ORG-60002"),
        (
            {"name": "A", "status": "ACTIVE", "attributes": [{"key": "k", "value": "1"}, {"key": "k", "value": "2"}]},
            "ORG-60004",
        ),
        ({"name": "A", "status": "ACTIVE", "version": 2}, "ORG-60001"),
        ([{"name": "A", "status": "ACTIVE"}], "ORG-60001"),
    ],
)
def test_put_rejects_bad_bodies_without_writing(
    admin_api: APIClient, org_a: Organization, body: Any, code: str
) -> None:
    before = snapshot()

    response = admin_api.put(f"{ORGS}/{org_a.id}", body, format="json")

    assert_error(response, 400, code)
    assert snapshot() == before


def test_put_to_a_siblings_name_is_refused(admin_api: APIClient, org_a: Organization, admin_user: User) -> None:
    b = organization_create(actor=admin_user, parent=org_a.parent, name="B")
    before = snapshot()

    response = admin_api.put(f"{ORGS}/{b.id}", {"name": "A", "status": "ACTIVE"}, format="json")

    assert_error(response, 400, "ORG-60070")
    assert snapshot() == before


@pytest.mark.parametrize("view", ["check-name", "check-handle"])
@pytest.mark.parametrize("body", [{}, {"name": 5, "orgHandle": 5}, [], "x", {"unexpected": "x"}])
def test_check_endpoints_reject_bad_bodies(admin_api: APIClient, root_org: Organization, view: str, body: Any) -> None:
    assert_error(admin_api.post(f"{ORGS}/{view}", body, format="json"), 400)
