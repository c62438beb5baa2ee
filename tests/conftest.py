"""Shared fixtures. State is set up through the services, as users would."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.applications.models import Application
from apps.applications.services import access_token_issue
from apps.applications.system_apis import all_system_scope_names
from apps.orgs.models import Organization
from apps.orgs.services import tenant_create
from apps.users.models import User

# One definition of the browser fixtures for every folder: a session-scoped fixture defined in two
# modules would start a second Playwright inside the first one's event loop.
pytest_plugins = ["tests.browser_fixtures"]

ADMIN_PASSWORD = "Admin-pass-123"


@pytest.fixture
def eager_celery() -> Iterable[None]:
    """Run Celery tasks in the calling process. Set on the Celery app itself: once Celery has read its
    configuration, a Django settings override no longer reaches it (that made such tests order-dependent)."""
    from iam.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters() -> None:
    """Rate-limit counters live in Django's cache, which outlives a test's database rollback."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _forget_cached_tenants() -> Iterable[None]:
    """Each test's database rollback removes organizations without signals: start every test
    without tenants cached by an earlier one."""
    from apps.orgs.selectors import organization_cache_forget

    organization_cache_forget()
    yield
    organization_cache_forget()


@pytest.fixture
def root_org(db: Any) -> Organization:
    """The default root organization ``root`` with its ``admin`` (as ``iam_bootstrap`` makes it)."""
    return tenant_create(actor=None, handle="root", name="Root", admin_password=ADMIN_PASSWORD)


@pytest.fixture
def admin_user(root_org: Organization) -> User:
    return User.objects.get(organization=root_org, username="admin")


@pytest.fixture
def other_tenant(db: Any) -> Organization:
    """A second root organization, ``acme``, that must never see ``root``'s data (nor vice versa)."""
    return tenant_create(actor=None, handle="acme", name="Acme Corp", admin_password=ADMIN_PASSWORD)


@pytest.fixture
def other_admin(other_tenant: Organization) -> User:
    return User.objects.get(organization=other_tenant, username="admin")


def _application_for(org: Organization) -> Application:
    app = Application.objects.filter(organization=org, name="test-client").first()
    if app is None:
        app = Application.objects.create(
            organization=org,
            name="test-client",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        )
    return app


@pytest.fixture
def mint_token() -> Callable[..., str]:
    """``mint_token(user, scopes=None)``: a bearer token through the service layer.

    ``scopes=None`` gives every system scope."""

    def mint(user: User, scopes: Iterable[str] | None = None) -> str:
        scopes = all_system_scope_names() if scopes is None else scopes
        return access_token_issue(application=_application_for(user.organization), user=user, scopes=scopes)

    return mint


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_api(admin_user: User, mint_token: Callable[..., str]) -> APIClient:
    """An API client holding a full-scope bearer token of root's admin."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user)}")
    return client


@pytest.fixture
def basic_auth() -> Callable[[str, str], str]:
    def header(username: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    return header


USER_PASSWORD = "Secret-pass-456"


@pytest.fixture
def make_user() -> Callable[..., User]:
    """``make_user(org, username, scopes=(), **fields)``: a user with password ``USER_PASSWORD``,
    holding ``scopes`` through a role of their own."""

    def make(organization: Organization, username: str, scopes: Iterable[str] = (), **fields: Any) -> User:
        from apps.users.services import role_create, user_create

        user = user_create(actor=None, organization=organization, username=username, password=USER_PASSWORD, **fields)
        if scopes:
            role_create(
                actor=None, organization=organization, name=f"role-{username}", permissions=scopes, user_ids=[user.pk]
            )
        return user

    return make


@pytest.fixture
def signed_in() -> Callable[[User], Any]:
    """``signed_in(user)``: a Django test client with ``user``'s session."""
    from django.test import Client

    def sign_in(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return sign_in
