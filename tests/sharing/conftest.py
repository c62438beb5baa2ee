"""Sharing fixtures: a three-level tree under ``root``, app X with two roles of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from apps.applications.models import APIResource
from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import Role
from apps.users.services import role_create
from tests.oauth.conftest import (  # noqa: F401  (fixtures)
    App,
    _fresh_client_cache,
    billing_api,
    make_app,
    orders_api,
)


@dataclass
class Tree:
    root: Organization
    a: Organization  # depth 1
    a1: Organization  # depth 2, under a
    a2: Organization  # depth 2, under a
    b: Organization  # depth 1, a's sibling


@pytest.fixture
def tree(root_org: Organization) -> Tree:
    a = organization_create(actor=None, parent=root_org, name="Alpha", handle="alpha")
    b = organization_create(actor=None, parent=root_org, name="Beta", handle="beta")
    a1 = organization_create(actor=None, parent=a, name="Alpha One", handle="alpha-one")
    a2 = organization_create(actor=None, parent=a, name="Alpha Two", handle="alpha-two")
    return Tree(root=root_org, a=a, a1=a1, a2=a2, b=b)


@pytest.fixture
def app_x(root_org: Organization, orders_api: APIResource, make_app: Callable[..., App]) -> App:  # noqa: F811
    return make_app(root_org, name="X", apis={orders_api: ["orders:read", "orders:write"]})


@pytest.fixture
def r1(app_x: App, root_org: Organization) -> Role:
    return role_create(
        actor=None,
        organization=root_org,
        name="R1",
        permissions=["orders:read"],
        audience_application=app_x.application,
    )


@pytest.fixture
def r2(app_x: App, root_org: Organization) -> Role:
    return role_create(
        actor=None,
        organization=root_org,
        name="R2",
        permissions=["orders:write"],
        audience_application=app_x.application,
    )


def shared_roles(app: App, org: Organization) -> set[str]:
    """Names of the roles of ``app`` shared into ``org``."""
    return set(
        Role.objects.filter(
            organization=org, audience_application=app.application, shared_from__isnull=False
        ).values_list("name", flat=True)
    )
