"""Isolation between tenants and permission checks on every Console section."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import Group, Role, User
from apps.users.services import group_create, role_create
from tests.console.conftest import html, results

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_objects(root_org: Organization, admin_user: User, make_user) -> dict[str, object]:
    user = make_user(root_org, "alice", email="alice@example.com")
    return {
        "user": user,
        "group": group_create(actor=None, organization=root_org, name="Root staff", member_ids=[user.pk]),
        "role": role_create(actor=None, organization=root_org, name="Root readers"),
        "org": organization_create(actor=None, parent=root_org, name="Root child", handle="root-child"),
    }


@pytest.mark.parametrize("path", ["/console/", "/console/users/", "/console/organizations/", "/console/roles/"])
def test_acme_admin_is_sent_to_login_on_root_console(
    acme_console: Client, root_objects: dict[str, object], path: str
) -> None:
    response = acme_console.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")


def test_acme_admin_is_sent_to_login_on_explicit_root_prefix(
    acme_console: Client, root_objects: dict[str, object]
) -> None:
    user = root_objects["user"]
    response = acme_console.get(f"/t/root/console/users/{user.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/t/root/console/login/")


def test_root_admin_is_sent_to_login_on_acme_console(console: Client, other_tenant: Organization) -> None:
    response = console.get("/t/acme/console/users/")
    assert response.status_code == 302
    assert response["Location"].startswith("/t/acme/console/login/")


def test_acme_admin_cannot_modify_root_through_root_urls(acme_console: Client, root_objects: dict) -> None:
    user, group, role, org = root_objects["user"], root_objects["group"], root_objects["role"], root_objects["org"]
    for path in [
        "/console/users/new/",
        f"/console/users/{user.pk}/",
        f"/console/users/{user.pk}/state/",
        f"/console/users/{user.pk}/delete/",
        f"/console/groups/{group.pk}/delete/",
        f"/console/roles/{role.pk}/delete/",
        f"/console/organizations/{org.pk}/delete/",
    ]:
        response = acme_console.post(path, {"username": "intruder", "action": "lock", "given_name": "X"})
        assert response.status_code == 302, path
        assert response["Location"].startswith("/console/login/"), path
    user.refresh_from_db()
    assert user.state == User.State.ACTIVE
    assert user.given_name == ""
    assert Group.objects.filter(pk=group.pk).exists()
    assert Role.objects.filter(pk=role.pk).exists()
    assert Organization.objects.filter(pk=org.pk).exists()
    assert not User.objects.filter(username="intruder").exists()


def test_root_ids_are_404_inside_acme_console(acme_console: Client, root_objects: dict) -> None:
    user, group, role, org = root_objects["user"], root_objects["group"], root_objects["role"], root_objects["org"]
    for path in [
        f"/t/acme/console/users/{user.pk}/",
        f"/t/acme/console/users/{user.pk}/password/",
        f"/t/acme/console/users/{user.pk}/delete/",
        f"/t/acme/console/groups/{group.pk}/",
        f"/t/acme/console/groups/{group.pk}/delete/",
        f"/t/acme/console/roles/{role.pk}/",
        f"/t/acme/console/roles/{role.pk}/delete/",
        f"/t/acme/console/organizations/{org.pk}/",
        f"/t/acme/console/organizations/{org.pk}/delete/",
    ]:
        assert acme_console.get(path).status_code == 404, path
        assert acme_console.post(path, {"name": "hijacked", "action": "lock"}).status_code == 404, path
    assert acme_console.post(f"/t/acme/console/users/{user.pk}/state/", {"action": "lock"}).status_code == 404
    user.refresh_from_db()
    group.refresh_from_db()
    assert user.state == User.State.ACTIVE
    assert group.name == "Root staff"
    assert Organization.objects.filter(pk=org.pk).exists()


def test_acme_lists_show_only_acme_data(acme_console: Client, root_objects: dict) -> None:
    assert "alice@example.com" not in html(acme_console.get("/t/acme/console/users/?q=alice"))
    assert "No user matches" in html(acme_console.get("/t/acme/console/users/?q=alice"))
    assert "Root staff" not in html(acme_console.get("/t/acme/console/groups/"))
    assert "Root readers" not in html(acme_console.get("/t/acme/console/roles/"))
    assert "Root child" not in results(acme_console, "/t/acme/console/organizations/?q=root")


def test_acme_cannot_assign_root_users_to_its_groups(acme_console: Client, root_objects: dict) -> None:
    alice = root_objects["user"]
    response = acme_console.post("/t/acme/console/groups/new/", {"name": "Sneaky", "members": [str(alice.pk)]})
    assert response.status_code == 400
    assert not Group.objects.filter(name="Sneaky").exists()


def test_switcher_lists_only_the_users_own_subtree(console: Client, root_objects: dict, other_tenant) -> None:
    page = html(console.get("/console/"))
    org = root_objects["org"]
    assert f'href="/t/root/o/{org.pk}/console/"' in page
    assert 'href="/t/root/console/"' in page
    assert "/t/acme/" not in page


def test_permission_matrix_for_a_user_list_only_operator(root_org: Organization, make_user, signed_in) -> None:
    client = signed_in(make_user(root_org, "helpdesk", scopes=["internal_user_mgt_list"]))
    assert client.get("/console/").status_code == 200
    assert client.get("/console/users/").status_code == 200
    for path in ["/console/users/new/", "/console/organizations/", "/console/groups/", "/console/roles/"]:
        assert client.get(path).status_code == 403, path
    page = html(client.get("/console/users/"))
    assert 'href="/console/users/new/"' not in page
    assert 'href="/console/groups/"' not in page


def test_view_without_update_scope_shows_a_read_only_profile(root_org: Organization, make_user, signed_in) -> None:
    target = make_user(root_org, "bob")
    client = signed_in(make_user(root_org, "viewer", scopes=["internal_user_mgt_list", "internal_user_mgt_view"]))
    page = client.get(f"/console/users/{target.pk}/")
    assert page.status_code == 200
    assert "disabled" in html(page)
    assert client.post(f"/console/users/{target.pk}/", {"username": "renamed"}).status_code == 403
    assert client.post(f"/console/users/{target.pk}/state/", {"action": "lock"}).status_code == 403
    target.refresh_from_db()
    assert target.username == "bob"
    assert target.state == User.State.ACTIVE


def test_root_admin_manages_a_sub_organization(console: Client, sub_org: Organization, make_user) -> None:
    make_user(sub_org, "eng-user")
    response = console.get(f"/t/root/o/{sub_org.pk}/console/users/")
    assert response.status_code == 200
    assert "eng-user" in html(response)
    assert "Engineering" in html(response)


def test_org_twin_scopes_count_inside_sub_organizations(sub_org: Organization, make_user, signed_in) -> None:
    operator = make_user(sub_org, "eng-admin", scopes=["internal_org_user_mgt_list"])
    client = signed_in(operator)
    assert client.get(f"/t/root/o/{sub_org.pk}/console/users/").status_code == 200
    # The twin is worthless outside a sub-organization, and the parent is out of reach anyway.
    assert client.get("/t/root/console/users/").status_code == 302


def test_sub_org_user_cannot_open_a_sibling(root_org: Organization, sub_org: Organization, make_user, signed_in):
    sibling = organization_create(actor=None, parent=root_org, name="Sales", handle="sales")
    client = signed_in(make_user(sub_org, "eng-admin", scopes=["internal_org_user_mgt_list"]))
    response = client.get(f"/t/root/o/{sibling.pk}/console/users/")
    assert response.status_code == 302
    assert "/console/login/" in response["Location"]
