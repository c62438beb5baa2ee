"""Groups and roles pages: list, create, edit, members, permission picker, delete."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from apps.orgs.models import Organization
from apps.users.models import Group, Role, User
from apps.users.selectors import user_scope_names
from apps.users.services import group_create, role_create
from tests.console.conftest import html

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(root_org: Organization, make_user) -> User:
    return make_user(root_org, "alice")


def test_group_create_edit_delete(console: Client, root_org: Organization, alice: User) -> None:
    page = html(console.get("/console/groups/new/"))
    assert f'value="{alice.pk}"' in page
    response = console.post("/console/groups/new/", {"name": "Support", "description": "Help", "members": [alice.pk]})
    group = Group.objects.get(organization=root_org, name="Support")
    assert response["Location"] == f"/console/groups/{group.pk}/"
    assert list(group.members.all()) == [alice]

    listing = html(console.get("/console/groups/"))
    assert "Support" in listing
    assert "Support" in html(console.get("/console/groups/?q=supp", headers={"HX-Request": "true"}))

    detail = html(console.get(f"/console/groups/{group.pk}/"))
    assert re.search(rf'value="{alice.pk}" id="id_members_\d+" checked', detail)
    console.post(f"/console/groups/{group.pk}/", {"name": "Support Team", "description": "", "members": []})
    group.refresh_from_db()
    assert group.name == "Support Team"
    assert group.members.count() == 0

    assert console.get(f"/console/groups/{group.pk}/delete/").status_code == 200
    assert Group.objects.filter(pk=group.pk).exists()
    assert console.post(f"/console/groups/{group.pk}/delete/")["Location"] == "/console/groups/"
    assert not Group.objects.filter(pk=group.pk).exists()


def test_group_errors_are_inline(console: Client, root_org: Organization) -> None:
    group_create(actor=None, organization=root_org, name="Support")
    response = console.post("/console/groups/new/", {"name": "support"})
    assert response.status_code == 400
    assert '<ul class="errorlist" id="id_name_error"><li>A group with this name already exists.</li></ul>' in html(
        response
    )
    response = console.post("/console/groups/new/", {"name": "x" * 256})
    assert 'id="id_name_error"' in html(response)
    response = console.post("/console/groups/new/", {"name": "Ghosts", "members": ["not-a-user"]})
    assert response.status_code == 400
    assert 'id="id_members_error"' in html(response)


def test_role_permission_picker_is_grouped_by_api_resource(console: Client) -> None:
    page = html(console.get("/console/roles/new/"))
    assert "<legend>User Management API" in page
    assert 'name="permissions" value="internal_user_mgt_list"' in page
    assert page.index("<legend>Group Management API") < page.index('value="internal_group_mgt_view"')


def test_role_create_edit_delete(console: Client, root_org: Organization, alice: User) -> None:
    group = group_create(actor=None, organization=root_org, name="Ops", member_ids=[alice.pk])
    response = console.post(
        "/console/roles/new/",
        {
            "name": "Auditors",
            "permissions": ["internal_user_mgt_list", "internal_user_mgt_view"],
            "user_ids": [alice.pk],
            "group_ids": [group.pk],
        },
    )
    role = Role.objects.get(organization=root_org, name="Auditors")
    assert response["Location"] == f"/console/roles/{role.pk}/"
    assert {s.name for s in role.permissions.all()} == {"internal_user_mgt_list", "internal_user_mgt_view"}
    assert list(role.users.all()) == [alice]
    assert list(role.groups.all()) == [group]
    assert "internal_user_mgt_list" in user_scope_names(user=alice)

    detail = html(console.get(f"/console/roles/{role.pk}/"))
    assert 'value="internal_user_mgt_list" checked' in detail
    assert 'value="internal_group_mgt_view" checked' not in detail

    console.post(f"/console/roles/{role.pk}/", {"name": "Auditors", "permissions": ["internal_group_mgt_view"]})
    role.refresh_from_db()
    assert [s.name for s in role.permissions.all()] == ["internal_group_mgt_view"]
    assert role.users.count() == 0

    assert "Auditors" in html(console.get("/console/roles/"))
    assert console.get(f"/console/roles/{role.pk}/delete/").status_code == 200
    console.post(f"/console/roles/{role.pk}/delete/")
    assert not Role.objects.filter(pk=role.pk).exists()


def test_role_errors_are_inline(console: Client, root_org: Organization) -> None:
    role_create(actor=None, organization=root_org, name="Readers")
    response = console.post("/console/roles/new/", {"name": "readers"})
    assert response.status_code == 400
    assert 'id="id_name_error"' in html(response)
    response = console.post("/console/roles/new/", {"name": "Bogus", "permissions": ["no_such_scope"]})
    assert response.status_code == 400
    assert "errorlist" in html(response)
    assert not Role.objects.filter(name="Bogus").exists()


def test_role_names_from_an_update_form_keep_checked_boxes(console: Client, root_org: Organization) -> None:
    role_create(actor=None, organization=root_org, name="Readers")
    response = console.post("/console/roles/new/", {"name": "readers", "permissions": ["internal_user_mgt_list"]})
    assert 'value="internal_user_mgt_list" checked' in html(response)
