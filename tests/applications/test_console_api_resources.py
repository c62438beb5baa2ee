"""Console pages of API resources: list, create with inline errors, scopes
added and removed on the detail page, delete behind a confirmation; system
APIs read-only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from apps.applications.models import APIResource, Scope
from apps.orgs.models import Organization
from tests.applications.conftest import snapshot
from tests.console.conftest import html

pytestmark = pytest.mark.django_db


def test_create_add_and_remove_scopes_delete(console: Client, root_org: Organization) -> None:
    assert "New API resource" in html(console.get("/console/api-resources/"))
    response = console.post(
        "/console/api-resources/new/",
        {"name": "Finance tools", "identifier": "https://mcp.example.com/mcp", "type": "MCP", "description": "x"},
    )
    resource = APIResource.objects.get(organization=root_org, identifier="https://mcp.example.com/mcp")
    assert response["Location"] == f"/console/api-resources/{resource.pk}/"
    assert resource.type == "MCP"

    url = f"/console/api-resources/{resource.pk}/"
    response = console.post(
        f"{url}scopes/add/", {"scope_name": "finance:read", "display_name": "Read", "scope_description": "d"}
    )
    assert response.status_code == 302
    scope = Scope.objects.get(api_resource=resource)
    assert (scope.name, scope.display_name, scope.description) == ("finance:read", "Read", "d")
    page = html(console.get(url))
    assert "finance:read" in page
    assert 'action="/console/api-resources/' in page

    for bad, error_id in (
        ({"scope_name": "finance:read"}, "id_scope_name_error"),
        ({"scope_name": "a b"}, "id_scope_name_error"),
    ):
        response = console.post(f"{url}scopes/add/", bad)
        assert response.status_code == 400
        assert f'id="{error_id}"' in html(response)

    assert console.post(f"{url}scopes/remove/", {"scope_name": "finance:read"}).status_code == 302
    assert not Scope.objects.filter(api_resource=resource).exists()

    response = console.post(url, {"name": "Finance", "description": "Reports"})
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.name == "Finance"

    assert "cannot be undone" in html(console.get(f"{url}delete/"))
    assert console.post(f"{url}delete/")["Location"] == "/console/api-resources/"
    assert not APIResource.objects.filter(pk=resource.pk).exists()


def test_create_errors_are_inline(console: Client, root_org: Organization, make_resource: Callable) -> None:
    make_resource(root_org, "https://api.example.com")
    before = snapshot()
    for data, error_id in (
        ({"name": "A", "identifier": "https://api.example.com", "type": "BUSINESS"}, "id_identifier_error"),
        ({"name": "A", "identifier": "not a uri", "type": "BUSINESS"}, "id_identifier_error"),
        ({"name": "A", "identifier": "mcp-server", "type": "MCP"}, "id_identifier_error"),
        ({"name": "", "identifier": "https://b.example.com", "type": "BUSINESS"}, "id_name_error"),
        ({"name": "A", "identifier": "https://b.example.com", "type": "SYSTEM"}, "id_type_error"),
    ):
        response = console.post("/console/api-resources/new/", data)
        assert response.status_code == 400, data
        assert f'id="{error_id}"' in html(response), data
    assert snapshot() == before


def test_system_resources_are_read_only(console: Client, root_org: Organization) -> None:
    system = APIResource.objects.get(organization=None, identifier="/api/server/v1/users")
    url = f"/console/api-resources/{system.pk}/"
    page = html(console.get(url))
    assert "read-only" in page
    assert "internal_user_mgt_list" in page
    assert 'action="/console/api-resources/' not in page  # no scope forms
    assert f"{url}delete/" not in page
    before = snapshot()
    assert console.post(url, {"name": "Mine"}).status_code == 400
    assert console.post(f"{url}scopes/add/", {"scope_name": "x:y"}).status_code == 400
    console.post(f"{url}scopes/remove/", {"scope_name": "internal_user_mgt_list"})
    assert console.post(f"{url}delete/").status_code == 400
    assert snapshot() == before


def test_list_search(console: Client, root_org: Organization, make_resource: Callable) -> None:
    make_resource(root_org, "https://orders.example.com")
    fragment = html(console.get("/console/api-resources/?q=orders", headers={"HX-Request": "true"}))
    assert "https://orders.example.com" in fragment
    assert "/api/server/v1/users" not in fragment


def test_view_only_users(root_org: Organization, make_user: Callable, signed_in: Callable, make_resource) -> None:
    resource = make_resource(root_org, "https://api.example.com", scopes=("a:read",))
    viewer = signed_in(make_user(root_org, "viewer", scopes=["internal_api_resource_view"]))
    page = html(viewer.get(f"/console/api-resources/{resource.pk}/"))
    assert "a:read" in page
    assert "Add scope" not in page
    before = snapshot()
    assert viewer.post(f"/console/api-resources/{resource.pk}/", {"name": "x"}).status_code == 403
    assert viewer.post(f"/console/api-resources/{resource.pk}/scopes/add/", {"scope_name": "b:c"}).status_code == 403
    assert viewer.post(f"/console/api-resources/{resource.pk}/delete/").status_code == 403
    assert viewer.get("/console/api-resources/new/").status_code == 403
    assert snapshot() == before
