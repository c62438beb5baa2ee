"""Applications fixtures: apps and API resources made through the services, and
a snapshot of everything an applications write may touch (to prove a refused
request wrote nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.applications.models import APIResource, Application, AuthorizedAPI, Scope
from apps.applications.services import api_resource_create, application_create
from apps.core.models import AuditLog, OutboxEvent
from apps.orgs.models import Organization
from apps.users.models import User
from tests.console.conftest import acme_console, console  # noqa: F401 - shared Console fixtures

API = "/api/server/v1"
REDIRECT = "https://app.example.com/callback"


@pytest.fixture
def make_app() -> Callable[..., tuple[Application, str | None]]:
    """``make_app(org, name, template_id="oidc-web-application", **settings)`` through ``application_create``."""

    def make(
        organization: Organization, name: str, template_id: str = "oidc-web-application", **settings: Any
    ) -> tuple[Application, str | None]:
        if template_id != "m2m-application":
            settings.setdefault("redirect_uris", [REDIRECT])
        return application_create(actor=None, organization=organization, template_id=template_id, name=name, **settings)

    return make


@pytest.fixture
def make_resource() -> Callable[..., APIResource]:
    """``make_resource(org, identifier, scopes=("a:read",), resource_type="BUSINESS")``."""

    def make(
        organization: Organization, identifier: str, scopes: tuple[str, ...] = (), resource_type: str = "BUSINESS"
    ) -> APIResource:
        return api_resource_create(
            actor=None,
            organization=organization,
            name=f"API {identifier}",
            identifier=identifier,
            resource_type=resource_type,
            scopes=[{"name": name, "display_name": name.title()} for name in scopes],
        )

    return make


@pytest.fixture
def acme_api(other_admin: User, mint_token: Callable[..., str]) -> APIClient:
    """A full-scope API client of acme's admin (calls go to /t/acme/...)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(other_admin)}")
    return client


def snapshot() -> dict[str, Any]:
    return {
        "applications": list(
            Application.objects.order_by("pk").values_list(
                "pk",
                "name",
                "description",
                "client_type",
                "grant_types",
                "redirect_uris",
                "pkce_mandatory",
                "token_binding",
                "access_token_format",
                "access_token_lifetime",
                "client_secret_hash",
                "logo_url",
                "access_url",
                "discoverable",
                "updated",
            )
        ),
        "authorized": sorted(
            (str(pk), str(res), policy)
            for pk, res, policy in AuthorizedAPI.objects.values_list("application_id", "api_resource_id", "policy")
        ),
        "authorized_scopes": sorted(
            (str(a), str(s))
            for a, s in AuthorizedAPI.scopes.through.objects.values_list("authorizedapi_id", "scope_id")
        ),
        "resources": list(APIResource.objects.order_by("pk").values_list("pk", "name", "identifier", "description")),
        "scopes": list(Scope.objects.order_by("pk").values_list("pk", "name", "display_name", "description")),
        "audit": AuditLog.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }
