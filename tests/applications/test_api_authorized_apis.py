"""``/applications/{id}/authorized-apis``: scopes must belong to the resource,
MCP servers only for MCP-template apps (WSO2 7.2), and the selectors the OAuth
endpoints use reflect every change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from apps.applications.models import APIResource, AuthorizedAPI
from apps.applications.selectors import application_authorized_scopes, application_get_by_client_id
from apps.applications.services import application_authorize_api
from apps.core.models import AuditLog, OutboxEvent
from apps.orgs.models import Organization
from tests.api_helpers import assert_error
from tests.applications.conftest import API, snapshot

MCP_URL = "https://mcp.example.com/mcp"


@pytest.fixture
def orders(root_org: Organization, make_resource: Callable) -> APIResource:
    return make_resource(root_org, "https://api.example.com/orders", scopes=("orders:read", "orders:write"))


@pytest.fixture
def mcp(root_org: Organization, make_resource: Callable) -> APIResource:
    return make_resource(root_org, MCP_URL, scopes=("finance:read_reports",), resource_type="MCP")


def url(app, suffix: str = "") -> str:
    return f"{API}/applications/{app.uuid}/authorized-apis{suffix}"


def test_authorize_update_revoke(admin_api: APIClient, root_org: Organization, make_app, orders: APIResource) -> None:
    app, _ = make_app(root_org, "Shop")
    response = admin_api.post(
        url(app), {"id": str(orders.id), "policyIdentifier": "RBAC", "scopes": ["orders:read"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": str(orders.id),
        "identifier": "https://api.example.com/orders",
        "displayName": orders.name,
        "type": "BUSINESS",
        "policyId": "RBAC",
        "authorizedScopes": [{"name": "orders:read", "displayName": "Orders:Read"}],
    }
    assert [a["id"] for a in admin_api.get(url(app)).json()] == [str(orders.id)]
    assert application_authorized_scopes(application=app) == {"https://api.example.com/orders": {"orders:read"}}
    assert AuditLog.objects.filter(action="application.api_authorize").exists()
    assert OutboxEvent.objects.filter(event_type="application.api_authorized").exists()

    response = admin_api.patch(
        url(app, f"/{orders.id}"), {"addedScopes": ["orders:write"], "removedScopes": ["orders:read"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert [s["name"] for s in response.json()["authorizedScopes"]] == ["orders:write"]
    assert application_authorized_scopes(application=app, api_resource=orders) == {
        "https://api.example.com/orders": {"orders:write"}
    }

    assert admin_api.delete(url(app, f"/{orders.id}")).status_code == 204
    assert admin_api.get(url(app)).json() == []
    assert application_authorized_scopes(application=app) == {}
    assert_error(admin_api.delete(url(app, f"/{orders.id}")), 404, "APP-60034")


def test_authorizing_moves_the_application_version(root_org: Organization, make_app, orders: APIResource) -> None:
    app, _ = make_app(root_org, "Shop")
    before = app.updated
    application_authorize_api(actor=None, application=app, api_resource=orders, scopes=["orders:read"])
    app.refresh_from_db()
    assert app.updated > before  # the OAuth client snapshots notice


def test_system_apis_can_be_authorized(admin_api: APIClient, root_org: Organization, make_app) -> None:
    app, _ = make_app(root_org, "Automation", template_id="m2m-application")
    users_api = APIResource.objects.get(organization=None, identifier="/api/server/v1/users")
    response = admin_api.post(url(app), {"id": str(users_api.id), "scopes": ["internal_user_mgt_list"]}, format="json")
    assert response.status_code == 200, response.content
    found = application_get_by_client_id(client_id=app.client_id)
    assert application_authorized_scopes(application=found) == {"/api/server/v1/users": {"internal_user_mgt_list"}}


def test_mcp_servers_only_for_mcp_template_apps(
    admin_api: APIClient, root_org: Organization, make_app, mcp: APIResource
) -> None:
    web, _ = make_app(root_org, "Web")
    before = snapshot()
    response = admin_api.post(url(web), {"id": str(mcp.id), "scopes": ["finance:read_reports"]}, format="json")
    assert_error(response, 400, "APP-60032")
    assert snapshot() == before

    agent, _ = make_app(root_org, "Agent", template_id="mcp-client-application")
    response = admin_api.post(url(agent), {"id": str(mcp.id), "scopes": ["finance:read_reports"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["type"] == "MCP"
    assert application_authorized_scopes(application=agent) == {MCP_URL: {"finance:read_reports"}}


def test_bad_authorizations_write_nothing(
    admin_api: APIClient,
    acme_api: APIClient,
    root_org: Organization,
    other_tenant: Organization,
    make_app,
    make_resource,
    orders: APIResource,
) -> None:
    app, _ = make_app(root_org, "Shop")
    other = make_resource(root_org, "https://api.example.com/billing", scopes=("billing:read",))
    acme_resource = make_resource(other_tenant, "https://acme.example.com/api", scopes=("acme:read",))
    admin_api.post(url(app), {"id": str(other.id), "scopes": []}, format="json")
    before = snapshot()
    for body, status, code in (
        ({"id": str(orders.id), "scopes": ["billing:read"]}, 400, "APP-60031"),  # a scope of another resource
        ({"id": str(orders.id), "scopes": ["orders:read", "nope"]}, 400, "APP-60031"),
        ({"id": str(acme_resource.id), "scopes": []}, 400, "APP-60030"),  # another tenant's resource
        ({"id": "not-a-uuid"}, 400, "APP-60030"),
        ({"id": str(other.id)}, 409, "APP-60033"),  # already authorized
        ({"id": str(orders.id), "policyIdentifier": "ABAC"}, 400, None),
        ({"id": str(orders.id), "scopes": "orders:read"}, 400, None),
        ({"id": str(orders.id), "scopes": [1]}, 400, None),
        ({"id": str(orders.id), "colour": "red"}, 400, None),
        ({"scopes": ["orders:read"]}, 400, "APP-60002"),
        ({"id": 5}, 400, None),
    ):
        assert_error(admin_api.post(url(app), body, format="json"), status, code)
    for body, code in (
        ({"addedScopes": ["orders:read"]}, "APP-60031"),  # not a scope of billing
        ({"addedScopes": ["billing:read"], "removedScopes": ["billing:read"]}, "APP-60031"),
        ({"addedScopes": "billing:read"}, None),
        ({"scopes": ["billing:read"]}, None),
    ):
        assert_error(admin_api.patch(url(app, f"/{other.id}"), body, format="json"), 400, code)
    assert_error(admin_api.patch(url(app, f"/{orders.id}"), {"addedScopes": []}, format="json"), 404, "APP-60034")
    assert_error(admin_api.patch(url(app, "/not-a-uuid"), {}, format="json"), 404)
    assert snapshot() == before


def test_removing_a_scope_from_the_resource_removes_it_from_authorizations(
    admin_api: APIClient, root_org: Organization, make_app, orders: APIResource
) -> None:
    app, _ = make_app(root_org, "Shop")
    admin_api.post(url(app), {"id": str(orders.id), "scopes": ["orders:read", "orders:write"]}, format="json")
    app.refresh_from_db()
    version = app.updated
    response = admin_api.patch(f"{API}/api-resources/{orders.id}", {"removedScopes": ["orders:write"]}, format="json")
    assert response.status_code == 200, response.content
    assert application_authorized_scopes(application=app) == {"https://api.example.com/orders": {"orders:read"}}
    app.refresh_from_db()
    assert app.updated > version
    assert admin_api.delete(f"{API}/api-resources/{orders.id}").status_code == 204
    assert not AuthorizedAPI.objects.filter(application=app).exists()


def test_get_by_client_id_is_scoped_when_asked(root_org: Organization, other_tenant: Organization, make_app) -> None:
    app, _ = make_app(root_org, "Shop")
    assert application_get_by_client_id(client_id=app.client_id) == app
    assert application_get_by_client_id(client_id=app.client_id, organization=root_org) == app
    assert application_get_by_client_id(client_id=app.client_id, organization=other_tenant) is None
    assert application_get_by_client_id(client_id="nope") is None
    assert application_get_by_client_id(client_id="") is None
