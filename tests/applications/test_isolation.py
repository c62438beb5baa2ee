"""Tenants ``root`` and ``acme`` never reach each other's applications, API
authorizations or API resources: through every API endpoint and every Console
page, an id of the other tenant is simply not found, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.applications.models import APIResource
from apps.applications.services import application_authorize_api
from apps.orgs.models import Organization
from tests.api_helpers import assert_error
from tests.applications.conftest import API, snapshot

ACME_API = f"/t/acme{API}"


@pytest.fixture
def root_world(root_org: Organization, make_app: Callable, make_resource: Callable) -> dict[str, Any]:
    app, _ = make_app(root_org, "Root web")
    resource = make_resource(root_org, "https://root.example.com/api", scopes=("root:read",))
    application_authorize_api(actor=None, application=app, api_resource=resource, scopes=["root:read"])
    return {"app": app, "resource": resource}


@pytest.fixture
def acme_world(other_tenant: Organization, make_app: Callable, make_resource: Callable) -> dict[str, Any]:
    app, _ = make_app(other_tenant, "Acme web")
    resource = make_resource(other_tenant, "https://acme.example.com/api", scopes=("acme:read",))
    return {"app": app, "resource": resource}


def api_calls(app: Any, resource: Any) -> list[tuple[str, str, Any]]:
    a, r = app.uuid, resource.id
    return [
        ("get", f"/applications/{a}", None),
        ("patch", f"/applications/{a}", {"name": "Stolen"}),
        ("delete", f"/applications/{a}", None),
        ("get", f"/applications/{a}/inbound-protocols/oidc", None),
        ("put", f"/applications/{a}/inbound-protocols/oidc", {"callbackURLs": ["https://evil.example.com/"]}),
        ("post", f"/applications/{a}/inbound-protocols/oidc/regenerate-secret", None),
        ("get", f"/applications/{a}/authorized-apis", None),
        ("post", f"/applications/{a}/authorized-apis", {"id": str(r), "scopes": []}),
        ("patch", f"/applications/{a}/authorized-apis/{r}", {"addedScopes": []}),
        ("delete", f"/applications/{a}/authorized-apis/{r}", None),
        ("get", f"/api-resources/{r}", None),
        ("patch", f"/api-resources/{r}", {"name": "Stolen"}),
        ("delete", f"/api-resources/{r}", None),
        ("get", f"/api-resources/{r}/scopes", None),
        ("put", f"/api-resources/{r}/scopes", [{"name": "x:y"}]),
        ("delete", f"/api-resources/{r}/scopes/root:read", None),
    ]


def test_acme_cannot_reach_root_objects_through_the_api(
    acme_api: APIClient, root_world: dict[str, Any], acme_world: dict[str, Any]
) -> None:
    before = snapshot()
    for method, path, body in api_calls(root_world["app"], root_world["resource"]):
        response = getattr(acme_api, method)(f"{ACME_API}{path}", body, format="json")
        assert_error(response, 404)
    assert snapshot() == before

    listing = acme_api.get(f"{ACME_API}/applications").json()
    assert "Root web" not in str(listing)
    assert "Acme web" in str(listing)
    resources = acme_api.get(f"{ACME_API}/api-resources").content.decode()
    assert "root.example.com" not in resources
    assert "acme.example.com" in resources
    # Acme's own app cannot be authorized for root's resource.
    acme_app = acme_world["app"]
    response = acme_api.post(
        f"{ACME_API}/applications/{acme_app.uuid}/authorized-apis",
        {"id": str(root_world["resource"].id)},
        format="json",
    )
    assert_error(response, 400, "APP-60030")
    assert snapshot() == before


def test_root_cannot_reach_acme_objects_through_the_api(
    admin_api: APIClient, root_world: dict[str, Any], acme_world: dict[str, Any]
) -> None:
    before = snapshot()
    for method, path, body in api_calls(acme_world["app"], acme_world["resource"]):
        assert_error(getattr(admin_api, method)(f"{API}{path}", body, format="json"), 404)
    assert snapshot() == before
    assert "Acme web" not in admin_api.get(f"{API}/applications").content.decode()


def test_a_token_of_one_tenant_is_refused_by_the_other(
    acme_api: APIClient, root_world: dict[str, Any], acme_world: dict[str, Any]
) -> None:
    before = snapshot()
    for method, path, body in api_calls(root_world["app"], root_world["resource"]):
        assert_error(getattr(acme_api, method)(f"{API}{path}", body, format="json"), 401)
    assert_error(acme_api.get(f"{API}/applications"), 401)
    assert_error(acme_api.post(f"{API}/api-resources", {"name": "x", "identifier": "y"}, format="json"), 401)
    assert snapshot() == before


def console_pages(app: Any, resource: Any) -> list[tuple[str, str, dict[str, Any]]]:
    a, r = app.uuid, resource.pk
    return [
        ("get", f"/console/applications/{a}/", {}),
        ("post", f"/console/applications/{a}/", {"name": "Stolen"}),
        ("get", f"/console/applications/{a}/protocol/", {}),
        ("post", f"/console/applications/{a}/protocol/", {"redirect_uris": "https://evil.example.com/"}),
        ("get", f"/console/applications/{a}/api-authorization/", {}),
        ("get", f"/console/applications/{a}/api-authorization/new/?resource={r}", {}),
        ("post", f"/console/applications/{a}/api-authorization/new/", {"resource": str(r), "policy": "RBAC"}),
        ("post", f"/console/applications/{a}/api-authorization/{r}/", {}),
        ("get", f"/console/applications/{a}/api-authorization/{r}/revoke/", {}),
        ("post", f"/console/applications/{a}/api-authorization/{r}/revoke/", {}),
        ("get", f"/console/applications/{a}/quick-start/", {}),
        ("get", f"/console/applications/{a}/secret/", {}),
        ("post", f"/console/applications/{a}/secret/", {}),
        ("get", f"/console/applications/{a}/delete/", {}),
        ("post", f"/console/applications/{a}/delete/", {}),
        ("get", f"/console/api-resources/{r}/", {}),
        ("post", f"/console/api-resources/{r}/", {"name": "Stolen"}),
        ("post", f"/console/api-resources/{r}/scopes/add/", {"scope_name": "x:y"}),
        ("post", f"/console/api-resources/{r}/scopes/remove/", {"scope_name": "root:read"}),
        ("get", f"/console/api-resources/{r}/delete/", {}),
        ("post", f"/console/api-resources/{r}/delete/", {}),
    ]


def test_acme_console_cannot_reach_root_objects(
    acme_console: Client, root_world: dict[str, Any], acme_world: dict[str, Any]
) -> None:
    before = snapshot()
    for method, path, data in console_pages(root_world["app"], root_world["resource"]):
        response = getattr(acme_console, method)(f"/t/acme{path}", data)
        assert response.status_code == 404, (method, path, response.status_code)
    assert snapshot() == before
    listing = acme_console.get("/t/acme/console/applications/").content.decode()
    assert "Acme web" in listing
    assert "Root web" not in listing
    resources = acme_console.get("/t/acme/console/api-resources/").content.decode()
    assert "root.example.com" not in resources


def test_acme_users_are_strangers_on_root_console_pages(
    acme_console: Client, root_world: dict[str, Any], acme_world: dict[str, Any]
) -> None:
    before = snapshot()
    pages = console_pages(root_world["app"], root_world["resource"])
    pages += [("get", "/console/applications/", {}), ("get", "/console/applications/new/", {})]
    pages += [("post", "/console/applications/new/m2m-application/", {"name": "Stolen"})]
    pages += [("get", "/console/api-resources/", {}), ("post", "/console/api-resources/new/", {"name": "x"})]
    for method, path, data in pages:
        response = getattr(acme_console, method)(path, data)
        assert response.status_code == 302, (method, path)
        assert response["Location"].startswith("/console/login/")
    assert snapshot() == before


def test_root_console_cannot_reach_acme_objects(
    console: Client, root_world: dict[str, Any], acme_world: dict[str, Any]
) -> None:
    before = snapshot()
    for method, path, data in console_pages(acme_world["app"], acme_world["resource"]):
        assert getattr(console, method)(path, data).status_code == 404, (method, path)
    assert snapshot() == before


def test_api_resource_visibility_per_root(
    root_org: Organization, other_tenant: Organization, root_world: dict[str, Any], acme_world: dict[str, Any]
) -> None:
    assert set(APIResource.objects.for_org(other_tenant).exclude(organization=None)) == {acme_world["resource"]}
    assert set(APIResource.objects.for_org(root_org).exclude(organization=None)) == {root_world["resource"]}
