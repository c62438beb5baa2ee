"""Console fixtures: signed-in clients and a little tree to manage, set up through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import User
from tests.conftest import USER_PASSWORD

PASSWORD = USER_PASSWORD


@pytest.fixture
def console(admin_user: User) -> Client:
    """A browser signed in as root's ``admin`` (every system permission)."""
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def acme_console(other_admin: User) -> Client:
    client = Client()
    client.force_login(other_admin)
    return client


@pytest.fixture
def sub_org(root_org: Organization) -> Organization:
    return organization_create(actor=None, parent=root_org, name="Engineering", handle="engineering")


def html(response: Any) -> str:
    return response.content.decode()


def results(client: Client, url: str) -> str:
    """Only the results fragment of a list page (what htmx swaps in), not the shell around it."""
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return html(response)
