"""``/api/server/v1/api-resources``: CRUD of BUSINESS APIs and MCP servers with
their scopes; system APIs are read-only; identifiers and scope names are
unique in the root organization; refused requests write nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from apps.applications.models import APIResource, Scope
from apps.core.models import AuditLog, OutboxEvent
from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import User
from apps.users.services import role_create
from tests.api_helpers import assert_error
from tests.applications.conftest import API, snapshot

BODY = {
    "name": "Finance Tools",
    "identifier": "https://mcp.example.com/mcp",
    "description": "Reports",
    "requiresAuthorization": True,
    "type": "MCP",
    "scopes": [
        {"name": "finance:read_reports", "displayName": "Read reports", "description": "See the reports"},
        {"name": "finance:approve"},
    ],
}


def test_create_get_patch_delete(admin_api: APIClient, root_org: Organization) -> None:
    response = admin_api.post(f"{API}/api-resources", BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"{API}/api-resources/{body['id']}"
    resource = APIResource.objects.get(pk=body["id"])
    assert resource.organization_id == root_org.id
    got = admin_api.get(response["Location"]).json()
    assert (got["name"], got["identifier"], got["type"], got["description"]) == (
        "Finance Tools",
        "https://mcp.example.com/mcp",
        "MCP",
        "Reports",
    )
    assert [(s["name"], s["displayName"], s["description"]) for s in got["scopes"]] == [
        ("finance:approve", "finance:approve", ""),
        ("finance:read_reports", "Read reports", "See the reports"),
    ]
    assert got["subscribedApplications"] == []
    assert AuditLog.objects.filter(action="api_resource.create", target_id=body["id"]).exists()
    assert OutboxEvent.objects.filter(event_type="api_resource.created").exists()

    patch = {
        "name": "Finance",
        "description": "",
        "addedScopes": [{"name": "finance:export", "displayName": "Export"}],
        "removedScopes": ["finance:approve"],
    }
    response = admin_api.patch(response["Location"], patch, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Finance"
    assert [s["name"] for s in response.json()["scopes"]] == ["finance:export", "finance:read_reports"]

    listing = admin_api.get(f"{API}/api-resources").json()
    assert listing["apiResources"][0]["id"] == body["id"]  # business resources first, then the system ones
    assert {r["type"] for r in listing["apiResources"]} == {"MCP", "SYSTEM"}
    filtered = admin_api.get(f"{API}/api-resources", {"filter": "type eq MCP"}).json()
    assert [r["identifier"] for r in filtered["apiResources"]] == ["https://mcp.example.com/mcp"]
    by_identifier = admin_api.get(f"{API}/api-resources", {"filter": "identifier eq https://mcp.example.com/mcp"})
    assert by_identifier.json()["totalResults"] == 1

    assert admin_api.delete(f"{API}/api-resources/{body['id']}").status_code == 204
    assert not APIResource.objects.filter(pk=body["id"]).exists()
    assert not Scope.objects.filter(name__startswith="finance:").exists()


def test_resource_type_alias_and_default(admin_api: APIClient, root_org: Organization) -> None:
    response = admin_api.post(
        f"{API}/api-resources",
        {"name": "A", "identifier": "https://a.example.com", "resourceType": "MCP"},
        format="json",
    )
    assert response.json()["type"] == "MCP"
    response = admin_api.post(f"{API}/api-resources", {"name": "B", "identifier": "greetings_api"}, format="json")
    assert response.status_code == 201
    assert response.json()["type"] == "BUSINESS"
    assert response.json()["requiresAuthorization"] is True


def test_scopes_put_replaces_and_keeps_ids(admin_api: APIClient, root_org: Organization, make_resource) -> None:
    resource = make_resource(root_org, "https://api.example.com", scopes=("a:read", "a:write"))
    read_id = str(Scope.objects.get(name="a:read").id)
    url = f"{API}/api-resources/{resource.id}/scopes"
    body = [{"name": "a:read", "displayName": "Read A", "description": "d"}, {"name": "a:admin"}]
    response = admin_api.put(url, body, format="json")
    assert response.status_code == 200, response.content
    scopes = admin_api.get(url).json()
    assert [(s["name"], s["displayName"]) for s in scopes] == [("a:admin", "a:admin"), ("a:read", "Read A")]
    assert next(s["id"] for s in scopes if s["name"] == "a:read") == read_id

    assert admin_api.delete(f"{url}/a:admin").status_code == 204
    assert [s["name"] for s in admin_api.get(url).json()] == ["a:read"]
    assert_error(admin_api.delete(f"{url}/a:admin"), 404)


def test_scopes_used_by_roles_leave_them_with_the_scope(
    admin_api: APIClient, root_org: Organization, admin_user: User, make_resource
) -> None:
    resource = make_resource(root_org, "https://api.example.com", scopes=("a:read",))
    role = role_create(actor=None, organization=root_org, name="Readers", permissions=["a:read"])
    assert admin_api.delete(f"{API}/api-resources/{resource.id}/scopes/a:read").status_code == 204
    assert role.permissions.count() == 0


def test_system_resources_are_read_only(admin_api: APIClient, root_org: Organization) -> None:
    system = APIResource.objects.get(organization=None, identifier="/api/server/v1/users")
    assert admin_api.get(f"{API}/api-resources/{system.id}").status_code == 200
    before = snapshot()
    assert_error(admin_api.patch(f"{API}/api-resources/{system.id}", {"name": "Mine"}, format="json"), 403, "APR-60003")
    assert_error(admin_api.delete(f"{API}/api-resources/{system.id}"), 403, "APR-60003")
    assert_error(admin_api.put(f"{API}/api-resources/{system.id}/scopes", [], format="json"), 403, "APR-60003")
    assert_error(admin_api.delete(f"{API}/api-resources/{system.id}/scopes/internal_user_mgt_list"), 403, "APR-60003")
    assert snapshot() == before


def test_uniqueness_of_identifiers_and_scope_names(admin_api: APIClient, root_org: Organization, make_resource) -> None:
    make_resource(root_org, "https://api.example.com/orders", scopes=("orders:read",))
    before = snapshot()
    for body, status, code in (
        ({"name": "Dup", "identifier": "https://api.example.com/orders"}, 409, "APR-60004"),
        ({"name": "Sys", "identifier": "/api/server/v1/users"}, 409, "APR-60004"),
        ({"name": "S", "identifier": "https://b.example.com", "scopes": [{"name": "orders:read"}]}, 409, "APR-60005"),
        ({"name": "S", "identifier": "https://b.example.com", "scopes": [{"name": "b:x"}, {"name": "b:x"}]}, 400, None),
    ):
        assert_error(admin_api.post(f"{API}/api-resources", body, format="json"), status, code)
    assert snapshot() == before


def test_same_identifier_in_another_tenant_is_fine(
    root_org: Organization, other_tenant: Organization, make_resource
) -> None:
    make_resource(root_org, "https://api.example.com", scopes=("a:read",))
    make_resource(other_tenant, "https://api.example.com", scopes=("a:read",))


BAD_BODIES = [
    pytest.param({"identifier": "x"}, id="no-name"),
    pytest.param({"name": "A"}, id="no-identifier"),
    pytest.param({"name": "A", "identifier": ""}, id="blank-identifier"),
    pytest.param({"name": "A", "identifier": "has space"}, id="identifier-space"),
    pytest.param({"name": "A", "identifier": "https://a.example.com/#x"}, id="identifier-fragment"),
    pytest.param({"name": "A", "identifier": "x" * 513}, id="identifier-long"),
    pytest.param({"name": "A", "identifier": "ünïcode"}, id="identifier-non-ascii"),
    pytest.param({"name": "A", "identifier": "mcp-server", "type": "MCP"}, id="mcp-not-url"),
    pytest.param({"name": "A", "identifier": "http://mcp.example.com", "type": "MCP"}, id="mcp-http"),
    pytest.param({"name": "A", "identifier": "https://a.example.com", "type": "SYSTEM"}, id="type-system"),
    pytest.param(
        {"name": "A", "identifier": "https://a.example.com", "type": "BUSINESS", "resourceType": "MCP"}, id="type-clash"
    ),
    pytest.param({"name": "A", "identifier": 5}, id="identifier-int"),
    pytest.param({"name": "A", "identifier": "i", "requiresAuthorization": "yes"}, id="bool-string"),
    pytest.param({"name": "A", "identifier": "i", "colour": "red"}, id="unknown-field"),
    pytest.param({"name": "A", "identifier": "i", "scopes": {"name": "a"}}, id="scopes-object"),
    pytest.param({"name": "A", "identifier": "i", "scopes": [{"displayName": "x"}]}, id="scope-no-name"),
    pytest.param({"name": "A", "identifier": "i", "scopes": [{"name": "a b"}]}, id="scope-space"),
    pytest.param({"name": "A", "identifier": "i", "scopes": [{"name": 'a"b'}]}, id="scope-quote"),
    pytest.param({"name": "A", "identifier": "i", "scopes": [{"name": "openid"}]}, id="scope-openid"),
    pytest.param({"name": "A", "identifier": "i", "scopes": [{"name": "internal_user_mgt_view"}]}, id="scope-system"),
    pytest.param({"name": "A", "identifier": "i", "scopes": [{"name": "a", "colour": "red"}]}, id="scope-unknown"),
    pytest.param({"name": "A", "identifier": "i", "scopes": [{"name": "a", "displayName": 3}]}, id="scope-display-int"),
    pytest.param({"name": "A\x00", "identifier": "i"}, id="name-nul"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_create_bodies_write_nothing(admin_api: APIClient, root_org: Organization, body: dict) -> None:
    before = snapshot()
    assert_error(admin_api.post(f"{API}/api-resources", body, format="json"), 400)
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"identifier": "https://other.example.com"},
        {"type": "BUSINESS"},
        {"name": ""},
        {"removedScopes": ["missing"]},
        {"addedScopes": [{"name": "a:read"}]},  # already there
        {"addedScopes": [{"name": "b:read"}], "removedScopes": ["b:read"]},
        {"addedScopes": [{"name": "internal_x"}]},
        {"removedScopes": "a:read"},
        {"addedScopes": [{"name": "ok:1"}], "removedScopes": ["missing"]},  # all or nothing
    ],
)
def test_bad_patches_write_nothing(admin_api: APIClient, root_org: Organization, make_resource, body: dict) -> None:
    resource = make_resource(root_org, "https://api.example.com", scopes=("a:read",))
    before = snapshot()
    response = admin_api.patch(f"{API}/api-resources/{resource.id}", body, format="json")
    assert_error(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    "body", [{"name": "a"}, [{"name": "a b"}], [{"name": "x"}, {"name": "x"}], "[", [{"name": "orders:read"}]]
)
def test_bad_scope_puts_write_nothing(admin_api: APIClient, root_org: Organization, make_resource, body) -> None:
    make_resource(root_org, "https://orders.example.com", scopes=("orders:read",))
    resource = make_resource(root_org, "https://api.example.com", scopes=("a:read",))
    before = snapshot()
    url = f"{API}/api-resources/{resource.id}/scopes"
    response = (
        admin_api.put(url, body, content_type="application/json")
        if body == "["
        else admin_api.put(url, body, format="json")
    )
    assert_error(response)
    assert snapshot() == before


def test_unknown_ids(admin_api: APIClient, root_org: Organization) -> None:
    for resource_id in ("nope", "00000000-0000-0000-0000-000000000000"):
        for method, suffix in (("get", ""), ("patch", ""), ("delete", ""), ("get", "/scopes"), ("put", "/scopes")):
            response = getattr(admin_api, method)(f"{API}/api-resources/{resource_id}{suffix}", [], format="json")
            assert_error(response, 404, "APR-60015")


def test_sub_organizations_read_but_do_not_write(
    root_org: Organization, admin_user: User, mint_token: Callable, make_resource
) -> None:
    sub = organization_create(actor=None, parent=root_org, name="Engineering", handle="engineering")
    resource = make_resource(root_org, "https://api.example.com", scopes=("a:read",))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user)}")
    base = f"/t/root/o/{sub.id}{API}/api-resources"
    assert resource.identifier in client.get(base).content.decode()
    before = snapshot()
    assert_error(
        client.post(base, {"name": "S", "identifier": "https://s.example.com"}, format="json"), 403, "APR-60008"
    )
    assert_error(client.patch(f"{base}/{resource.id}", {"name": "S"}, format="json"), 403, "APR-60008")
    assert_error(client.delete(f"{base}/{resource.id}"), 403, "APR-60008")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "suffix", "scope"),
    [
        ("post", "", "internal_api_resource_create"),
        ("get", "/{id}", "internal_api_resource_view"),
        ("patch", "/{id}", "internal_api_resource_update"),
        ("delete", "/{id}", "internal_api_resource_delete"),
        ("get", "/{id}/scopes", "internal_api_resource_view"),
        ("put", "/{id}/scopes", "internal_api_resource_update"),
        ("delete", "/{id}/scopes/a:read", "internal_api_resource_delete"),
    ],
)
def test_each_method_needs_its_scope(
    root_org: Organization, admin_user: User, mint_token: Callable, make_resource, method: str, suffix: str, scope: str
) -> None:
    resource = make_resource(root_org, "https://api.example.com", scopes=("a:read",))
    everything = [
        "internal_api_resource_view",
        "internal_api_resource_create",
        "internal_api_resource_update",
        "internal_api_resource_delete",
    ]
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user, scopes=[s for s in everything if s != scope])}"
    )
    before = snapshot()
    assert_error(
        getattr(client, method)(f"{API}/api-resources{suffix.replace('{id}', str(resource.id))}", [], format="json"),
        403,
    )
    assert snapshot() == before


def test_list_is_readable_with_the_role_scope(root_org: Organization, admin_user: User, mint_token: Callable) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user, scopes=['internal_role_mgt_view'])}")
    assert client.get(f"{API}/api-resources").status_code == 200
    assert_error(client.get(f"{API}/api-resources", {"filter": "colour eq x"}), 400, "APR-60022")
