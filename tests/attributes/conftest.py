"""Attribute definitions set up through the services, as an administrator would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apps.attributes.models import LocalClaim
from apps.attributes.services import local_claim_create
from apps.orgs.models import Organization

CLAIMS = "http://wso2.org/claims/"


@pytest.fixture
def define() -> Callable[..., LocalClaim]:
    """``define(org, "employeeLevel", "Employee level", data_type="integer", ...)``: a custom attribute
    shown on profiles."""

    def make(organization: Organization, name: str, display_name: str, **fields: Any) -> LocalClaim:
        fields.setdefault("supported_by_default", True)
        return local_claim_create(
            actor=None, organization=organization, claim_uri=CLAIMS + name, display_name=display_name, **fields
        )

    return make


@pytest.fixture
def employee_level(root_org: Organization, define: Callable[..., LocalClaim]) -> LocalClaim:
    return define(root_org, "employeeLevel", "Employee level", data_type="integer", min_value=1, max_value=10)


@pytest.fixture
def console(admin_user: Any) -> Any:
    """A browser signed in as root's ``admin`` (every system permission)."""
    from django.test import Client

    client = Client()
    client.force_login(admin_user)
    return client
