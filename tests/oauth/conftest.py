"""OAuth fixtures: applications, API resources, users with roles, set up through the services."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from apps.applications.models import APIResource, Application
from apps.applications.services import api_resource_create, application_authorize_api, application_create
from apps.oauth.clients import client_cache_invalidate
from apps.orgs.models import Organization
from apps.users.models import User
from tests.conftest import USER_PASSWORD

PASSWORD = USER_PASSWORD
REDIRECT = "https://rp.example.com/callback"
ORDERS = "https://api.example.com/orders"
BILLING = "https://api.example.com/billing"


@dataclass
class App:
    application: Application
    secret: str | None

    @property
    def client_id(self) -> str:
        return self.application.client_id


@pytest.fixture(autouse=True)
def _fresh_client_cache() -> Iterable[None]:
    client_cache_invalidate()
    yield
    client_cache_invalidate()


def _api(org: Organization, name: str, identifier: str, scopes: list[str]) -> APIResource:
    return api_resource_create(
        actor=None, organization=org, name=name, identifier=identifier, scopes=[{"name": s} for s in scopes]
    )


@pytest.fixture
def orders_api(root_org: Organization) -> APIResource:
    return _api(root_org, "Orders", ORDERS, ["orders:read", "orders:write"])


@pytest.fixture
def billing_api(root_org: Organization) -> APIResource:
    return _api(root_org, "Billing", BILLING, ["billing:read"])


@pytest.fixture
def acme_api(other_tenant: Organization) -> APIResource:
    return _api(other_tenant, "Acme Orders", ORDERS, ["acme:read"])


@pytest.fixture
def make_app() -> Callable[..., App]:
    def make(
        organization: Organization,
        template: str = "oidc-web-application",
        name: str = "web",
        apis: dict[APIResource, list[str]] | None = None,
        **overrides: Any,
    ) -> App:
        if template != "m2m-application":
            overrides.setdefault("redirect_uris", [REDIRECT])
        application, secret = application_create(
            actor=None, organization=organization, template_id=template, name=name, **overrides
        )
        for resource, scopes in (apis or {}).items():
            application_authorize_api(actor=None, application=application, api_resource=resource, scopes=scopes)
        application.refresh_from_db()
        return App(application, secret)

    return make


@pytest.fixture
def m2m(root_org: Organization, orders_api: APIResource, make_app: Callable[..., App]) -> App:
    return make_app(root_org, "m2m-application", "m2m", apis={orders_api: ["orders:read", "orders:write"]})


@pytest.fixture
def web(root_org: Organization, orders_api: APIResource, billing_api: APIResource, make_app: Callable[..., App]) -> App:
    """A confidential web app (code + refresh, PKCE mandatory) authorized for both APIs."""
    return make_app(
        root_org,
        apis={orders_api: ["orders:read", "orders:write"], billing_api: ["billing:read"]},
        post_logout_redirect_uris=["https://rp.example.com/bye"],
    )


@pytest.fixture
def alice(root_org: Organization, orders_api: APIResource, make_user: Callable[..., User]) -> User:
    """Holds orders:read only (not orders:write, not billing:read)."""
    return make_user(
        root_org, "alice", ["orders:read"], email="alice@example.com", given_name="Alice", family_name="Liddell"
    )


@pytest.fixture
def browser(alice: User) -> Client:
    """A browser with alice signed in (root tenant)."""
    client = Client()
    client.force_login(alice)
    return client
