"""The sharing API (WSO2 shapes) and the bad input it must refuse."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.applications.models import SharedApplication
from apps.users.models import Role
from tests.api_helpers import assert_error
from tests.sharing.conftest import shared_roles

BASE = "/api/server/v1/applications"


def roles(*names: str) -> list[dict]:
    return [{"displayName": name, "audience": {"display": "X", "type": "application"}} for name in names]


def share_all(api, app, mode="ALL", names=(), policy="ALL_EXISTING_AND_FUTURE_ORGS"):
    sharing = {"mode": mode, **({"roles": roles(*names)} if names else {})}
    return api.post(
        f"{BASE}/share-with-all",
        {"applicationId": str(app.application.uuid), "policy": policy, "roleSharing": sharing},
        format="json",
    )


def test_share_with_all_then_list_with_sharing_mode(admin_api, tree, app_x, r1, r2):
    response = share_all(admin_api, app_x, "SELECTED", ["R1"])
    assert response.status_code == 202
    assert response.json()["status"] == "Processing"
    listing = admin_api.get(f"{BASE}/{app_x.application.uuid}/share", {"attributes": "sharingMode"})
    assert listing.status_code == 200
    body = listing.json()
    assert body["sharingMode"] == {
        "policy": "ALL_EXISTING_AND_FUTURE_ORGS",
        "roleSharing": {"mode": "SELECTED", "roles": [{"displayName": "R1"}]},
    }
    by_handle = {org["orgHandle"]: org for org in body["organizations"]}
    assert set(by_handle) == {"alpha", "beta", "alpha-one", "alpha-two"}
    assert [org["depthFromRoot"] for org in body["organizations"]] == [1, 1, 2, 2]  # parents first
    assert by_handle["alpha"]["hasChildren"] is True
    assert by_handle["alpha-one"]["parentId"] == str(tree.a.id)
    assert by_handle["alpha-one"]["roles"] == [
        {"displayName": "R1", "audience": {"display": "X", "type": "application"}}
    ]


def test_selected_share_patch_unshare_and_shared_apps(admin_api, tree, app_x, r1, r2):
    app_id = str(app_x.application.uuid)
    response = admin_api.post(
        f"{BASE}/share",
        {
            "applicationId": app_id,
            "organizations": [
                {
                    "orgId": str(tree.a1.id),
                    "policy": "SELECTED_ORG_ONLY",
                    "roleSharing": {"mode": "SELECTED", "roles": roles("R1")},
                },
                {
                    "orgId": str(tree.b.id),
                    "policy": "SELECTED_ORG_ONLY",
                    "roleSharing": {"mode": "SELECTED", "roles": roles("R2")},
                },
            ],
        },
        format="json",
    )
    assert response.status_code == 202, response.content
    assert shared_roles(app_x, tree.a1) == {"R1"}
    assert shared_roles(app_x, tree.b) == {"R2"}
    path = f'organizations[orgId eq "{tree.a1.id}"].roles'
    patched = admin_api.patch(
        f"{BASE}/share",
        {
            "applicationId": app_id,
            "Operations": [
                {"op": "add", "path": path, "value": roles("R2")},
                {"op": "remove", "path": path, "value": roles("R1")},
            ],
        },
        format="json",
    )
    assert patched.status_code == 202, patched.content
    assert shared_roles(app_x, tree.a1) == {"R2"}
    listing = admin_api.get(f"{BASE}/{app_id}/share", {"attributes": "sharingMode"}).json()
    a1 = next(org for org in listing["organizations"] if org["id"] == str(tree.a1.id))
    assert a1["sharingMode"]["policy"] == "SELECTED_ORG_ONLY"
    assert "sharingMode" not in listing

    apps = admin_api.get(f"{BASE}/{app_id}/shared-apps").json()["sharedApplications"]
    assert {entry["organizationId"] for entry in apps} == {str(tree.a1.id), str(tree.b.id)}
    assert (
        admin_api.post(
            f"{BASE}/unshare", {"applicationId": app_id, "orgIds": [str(tree.b.id)]}, format="json"
        ).status_code
        == 202
    )
    assert shared_roles(app_x, tree.b) == set()
    assert admin_api.delete(f"{BASE}/{app_id}/shared-apps").status_code == 204
    assert not SharedApplication.objects.filter(application=app_x.application).exists()


def test_listing_paginates(admin_api, tree, app_x):
    share_all(admin_api, app_x, "NONE")
    first = admin_api.get(f"{BASE}/{app_x.application.uuid}/share", {"limit": 3}).json()
    assert len(first["organizations"]) == 3
    assert first["links"][0]["rel"] == "next"
    second = admin_api.get(first["links"][0]["href"]).json()
    assert len(second["organizations"]) == 1
    assert second["links"][0]["rel"] == "previous"


@pytest.mark.parametrize(
    ("sharing", "policy", "code"),
    [
        ({"mode": "SOME"}, "ALL_EXISTING_AND_FUTURE_ORGS", "OAM-60006"),
        ({"mode": "SELECTED"}, "ALL_EXISTING_AND_FUTURE_ORGS", "OAM-60007"),
        ({"mode": "SELECTED", "roles": roles("Nope")}, "ALL_EXISTING_AND_FUTURE_ORGS", "OAM-60007"),
        (
            {"mode": "SELECTED", "roles": [{"displayName": "R1", "audience": {"type": "organization"}}]},
            "ALL_EXISTING_AND_FUTURE_ORGS",
            "OAM-60007",
        ),
        ({"mode": "ALL"}, "NO_ORGS", "OAM-60004"),
        (None, "ALL_EXISTING_AND_FUTURE_ORGS", "OAM-60006"),
        ("junk", "ALL_EXISTING_AND_FUTURE_ORGS", "OAM-60001"),
    ],
)
def test_share_with_all_bad_input(admin_api, tree, app_x, r1, sharing, policy, code):
    response = admin_api.post(
        f"{BASE}/share-with-all",
        {"applicationId": str(app_x.application.uuid), "policy": policy, "roleSharing": sharing},
        format="json",
    )
    assert_error(response, 400, code)
    assert not SharedApplication.objects.exists()


def test_share_outside_the_tree_and_bad_bodies(admin_api, tree, app_x, other_tenant):
    app_id = str(app_x.application.uuid)
    for org_id in (str(other_tenant.id), "nope"):
        response = admin_api.post(
            f"{BASE}/share",
            {
                "applicationId": app_id,
                "organizations": [{"orgId": org_id, "policy": "SELECTED_ORG_ONLY", "roleSharing": {"mode": "ALL"}}],
            },
            format="json",
        )
        assert_error(response, 400, "OAM-60003")
    assert_error(
        admin_api.post(f"{BASE}/share", {"applicationId": app_id, "organizations": []}, format="json"), 400, "OAM-60003"
    )
    assert_error(admin_api.post(f"{BASE}/share", ["x"], format="json"), 400, "OAM-60001")
    bad_path = admin_api.patch(
        f"{BASE}/share",
        {"applicationId": app_id, "Operations": [{"op": "add", "path": "organizations.roles", "value": roles("R1")}]},
        format="json",
    )
    assert_error(bad_path, 400, "OAM-60002")
    assert_error(
        admin_api.post(f"{BASE}/unshare-with-all", {"applicationId": "missing"}, format="json"), 404, "ORG-60035"
    )


def test_another_tenants_application_is_not_found(tree, other_admin, mint_token, make_app, other_tenant):
    foreign = make_app(other_tenant, name="foreign")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(other_admin)}")
    response = api.post(
        "/t/acme/api/server/v1/applications/share",
        {
            "applicationId": str(foreign.application.uuid),
            "organizations": [{"orgId": str(tree.a.id), "policy": "SELECTED_ORG_ONLY", "roleSharing": {"mode": "ALL"}}],
        },
        format="json",
    )
    assert_error(response, 400, "OAM-60003")  # root's organization is not in acme's tree


def test_scopes_are_required(tree, app_x, admin_user, mint_token):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user, ['internal_application_mgt_view'])}")
    assert api.get(f"{BASE}/{app_x.application.uuid}/share").status_code == 200
    refused = api.post(
        f"{BASE}/share-with-all",
        {
            "applicationId": str(app_x.application.uuid),
            "policy": "ALL_EXISTING_AND_FUTURE_ORGS",
            "roleSharing": {"mode": "ALL"},
        },
        format="json",
    )
    assert refused.status_code == 403


def test_deleting_a_shared_role_through_the_api_is_refused_with_the_organizations(admin_api, tree, app_x, r1):
    share_all(admin_api, app_x, "SELECTED", ["R1"])
    response = admin_api.delete(f"/api/server/v1/roles/{r1.id}")
    assert_error(response, 409, "ROL-60013")
    assert "alpha-one" in response.json()["message"]
    assert Role.objects.filter(pk=r1.pk).exists()
