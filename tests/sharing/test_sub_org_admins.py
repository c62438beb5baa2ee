"""Organization administrators (issue item 6): a sub-organization's admin manages its own subtree
(users, groups, shared-role assignments) and cannot reach the parent or a sibling."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.applications.services.sharing import RoleSharingConfig, application_share_with_all
from apps.users.models import Role
from tests.api_helpers import assert_error

ORG_ADMIN_SCOPES = [
    "internal_org_user_mgt_list",
    "internal_org_user_mgt_view",
    "internal_org_user_mgt_create",
    "internal_org_group_mgt_view",
    "internal_org_group_mgt_create",
    "internal_org_role_mgt_view",
    "internal_org_role_mgt_update",
    "internal_org_role_mgt_delete",
]


@pytest.fixture
def shared(tree, app_x, r1):
    application_share_with_all(
        actor=None,
        application=app_x.application,
        policy="ALL_EXISTING_AND_FUTURE_ORGS",
        role_sharing=RoleSharingConfig("ALL"),
    )
    return tree


@pytest.fixture
def alpha_admin(shared, make_user):
    return make_user(shared.a, "alpha-admin", ORG_ADMIN_SCOPES)


@pytest.fixture
def api(alpha_admin, mint_token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(alpha_admin, ORG_ADMIN_SCOPES)}")
    return client


def at(org) -> str:
    return f"/t/root/o/{org.id}/api/server/v1"


def test_sub_org_admin_manages_users_groups_and_shared_role_assignments_in_its_subtree(shared, api, make_user, app_x):
    make_user(shared.a1, "deep-user")
    created = api.post(f"{at(shared.a)}/users", {"username": "newbie", "password": "Secret-pass-456"}, format="json")
    assert created.status_code == 201, created.content
    newbie_id = created.json()["id"]
    users = api.get(f"{at(shared.a)}/users").json()
    assert "newbie" in str(users)
    assert "deep-user" in str(api.get(f"{at(shared.a1)}/users").json())  # the child organization too
    assert api.post(f"{at(shared.a1)}/groups", {"name": "Crew"}, format="json").status_code == 201

    copy = Role.objects.get(organization=shared.a, audience_application=app_x.application, name="R1")
    assigned = api.patch(f"{at(shared.a)}/roles/{copy.id}", {"users": [newbie_id]}, format="json")
    assert assigned.status_code == 200, assigned.content
    assert copy.users.filter(pk=newbie_id).exists()
    # The shared role itself is not the organization's to change or delete.
    assert_error(api.patch(f"{at(shared.a)}/roles/{copy.id}", {"name": "Mine"}, format="json"), 403, "ROL-60012")
    assert_error(api.delete(f"{at(shared.a)}/roles/{copy.id}"), 403, "ROL-60012")


def test_sub_org_admin_cannot_reach_the_parent_or_a_sibling(shared, api, admin_user, make_user, app_x, root_org):
    beta_user = make_user(shared.b, "beta-user")
    for url in (
        "/api/server/v1/users",
        "/t/root/api/server/v1/users",
        f"{at(shared.b)}/users",
        f"{at(shared.b)}/groups",
        f"{at(shared.b)}/roles",
    ):
        assert api.get(url).status_code == 401, url
    # Ids of the parent's or a sibling's objects are unknown inside its own organization.
    assert api.get(f"{at(shared.a)}/users/{admin_user.id}").status_code == 404
    assert api.get(f"{at(shared.a)}/users/{beta_user.id}").status_code == 404
    beta_copy = Role.objects.get(organization=shared.b, audience_application=app_x.application, name="R1")
    assert api.patch(f"{at(shared.a)}/roles/{beta_copy.id}", {"users": []}, format="json").status_code == 404
    origin = Role.objects.get(organization=root_org, audience_application=app_x.application, name="R1")
    assert api.delete(f"{at(shared.a)}/roles/{origin.id}").status_code == 404
    # Nor can it put a sibling's user into one of its roles.
    copy = Role.objects.get(organization=shared.a, audience_application=app_x.application, name="R1")
    assert (
        api.patch(f"{at(shared.a)}/roles/{copy.id}", {"users": [str(beta_user.id)]}, format="json").status_code == 400
    )
    # Nor share the root's application.
    refused = api.post(
        f"{at(shared.a)}/applications/share-with-all",
        {
            "applicationId": str(app_x.application.uuid),
            "policy": "ALL_EXISTING_AND_FUTURE_ORGS",
            "roleSharing": {"mode": "ALL"},
        },
        format="json",
    )
    assert refused.status_code in (403, 404)


def test_sub_org_admin_in_the_console(shared, alpha_admin, signed_in, make_user):
    make_user(shared.a1, "deep-user")
    console = signed_in(alpha_admin)
    page = console.get(f"/t/root/o/{shared.a1.id}/console/users/")
    assert page.status_code == 200
    assert "deep-user" in page.content.decode()
    for org_prefix in ("/t/root", f"/t/root/o/{shared.b.id}"):
        response = console.get(f"{org_prefix}/console/users/")
        assert response.status_code == 302, org_prefix
        assert "/console/login/" in response["Location"]
