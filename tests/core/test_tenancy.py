"""URL-based tenant resolution and the per-request context."""

from __future__ import annotations

import uuid

import pytest
from django.test import override_settings

from apps.orgs.services import organization_create


def test_default_root_answers_without_prefix(admin_api, root_org):
    response = admin_api.get("/api/server/v1/organizations/self")
    assert response.status_code == 200
    assert response.json()["orgHandle"] == "root"


def test_tenant_prefix_selects_the_root_organization(api_client, other_admin, mint_token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(other_admin)}")
    response = api_client.get("/t/acme/api/server/v1/organizations/self")
    assert response.status_code == 200
    assert response.json()["orgHandle"] == "acme"
    assert response.json()["name"] == "Acme Corp"


def test_sub_organization_prefix(admin_api, root_org):
    child = organization_create(actor=None, parent=root_org, name="Child")
    response = admin_api.get(f"/t/root/o/{child.id}/api/server/v1/organizations/self")
    assert response.status_code == 200
    assert response.json()["id"] == str(child.id)


@pytest.mark.parametrize("path", ["/t/nosuch/api/server/v1/users", "/t/nosuch/o/x/api/server/v1/users"])
def test_unknown_tenant_is_a_json_404_on_apis(admin_api, path):
    response = admin_api.get(path)
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "description", "traceId"}
    assert response.json()["code"] == "ORG-60015"


def test_unknown_tenant_page_is_an_html_404(client, root_org):
    response = client.get("/t/nosuch/console/")
    assert response.status_code == 404
    assert b"Organization not found" in response.content


def test_sub_org_of_another_tenant_is_not_reachable_through_this_tenant(admin_api, other_tenant):
    acme_child = organization_create(actor=None, parent=other_tenant, name="Acme child")
    response = admin_api.get(f"/t/root/o/{acme_child.id}/api/server/v1/organizations/self")
    assert response.status_code == 404
    response = admin_api.get(f"/t/root/o/{uuid.uuid4()}/api/server/v1/organizations/self")
    assert response.status_code == 404


def test_request_id_is_echoed_and_used_as_trace_id(api_client, root_org):
    response = api_client.get("/api/server/v1/users", HTTP_X_REQUEST_ID="req-1234567890")
    assert response.status_code == 401
    assert response["X-Request-ID"] == "req-1234567890"
    assert response.json()["traceId"] == "req-1234567890"


def test_bogus_request_id_is_replaced(api_client, root_org):
    response = api_client.get("/api/server/v1/users", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"
    uuid.UUID(response["X-Request-ID"])


def test_unknown_api_path_is_a_json_404(admin_api):
    with override_settings(DEBUG=False):
        response = admin_api.get("/api/server/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "API-60015"


def test_a_tenant_is_resolved_once_per_ttl_and_a_change_elsewhere_shows_within_it(
    api_client, root_org, django_assert_num_queries, monkeypatch
):
    """Tenant resolution is cached per process for IAM_TENANT_CACHE_SECONDS; a write through this
    process is seen at once, another process's write (a bulk update here) once the entry expires."""
    from apps.core import cache
    from apps.orgs.models import Organization
    from apps.orgs.services import organization_update

    assert api_client.get("/health").status_code == 200
    now = [cache.clock()]
    monkeypatch.setattr(cache, "clock", lambda: now[0])
    api_client.get("/api/server/v1/organizations")  # resolves and caches "root"
    with django_assert_num_queries(0):
        assert api_client.get("/api/server/v1/organizations").status_code == 401

    organization_update(actor=None, organization=root_org, name="Renamed here")
    with django_assert_num_queries(1):  # this process's own write dropped the entry
        api_client.get("/api/server/v1/organizations")

    Organization.objects.filter(pk=root_org.pk).update(status=Organization.Status.DISABLED)
    assert api_client.get("/oauth2/authorize").status_code == 400  # still the cached, active tenant...
    now[0] += 6  # ...until the 5 s entry expires
    assert api_client.get("/oauth2/authorize").status_code == 403
