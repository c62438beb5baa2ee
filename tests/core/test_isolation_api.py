"""Tenant and sub-organization isolation through the management API.

Two tenants (``root`` and ``acme``) and, inside ``root``, a tree A → A1 plus a
sibling B. Nobody reaches data outside the organization in the URL; a
principal reaches only URLs of its own organization or its descendants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.applications.system_apis import all_system_scope_names
from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from apps.users.models import Group, Role, User
from apps.users.selectors import user_scope_names
from apps.users.services import group_create, role_create, user_create
from tests.api_helpers import assert_error

API = "/api/server/v1"
PASSWORD = "Str0ng-passw0rd"
ACME_OPS_PASSWORD = "Acme-0ps-secret"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def snapshot() -> dict[str, Any]:
    return {
        "orgs": list(
            Organization.objects.order_by("id").values_list("id", "name", "status", "description", "attributes")
        ),
        "users": list(User.objects.order_by("id").values_list("id", "username", "given_name", "state", "password")),
        "groups": list(Group.objects.order_by("id").values_list("id", "name", "description")),
        "members": sorted(Group.members.through.objects.values_list("group_id", "user_id")),
        "roles": list(Role.objects.order_by("id").values_list("id", "name")),
        "role_users": sorted(Role.users.through.objects.values_list("role_id", "user_id")),
        "role_scopes": sorted(Role.permissions.through.objects.values_list("role_id", "scope_id")),
    }


def _populate(org: Organization, actor: User, prefix: str) -> dict[str, Any]:
    user = user_create(actor=actor, organization=org, username=f"{prefix}-user", password=PASSWORD)
    group = group_create(actor=actor, organization=org, name=f"{prefix} group", member_ids=[user.id])
    role = role_create(
        actor=actor, organization=org, name=f"{prefix} role", permissions=["internal_user_mgt_view"], user_ids=[user.id]
    )
    return {"user": user, "group": group, "role": role}


@pytest.fixture
def world(root_org: Organization, admin_user: User, other_tenant: Organization, other_admin: User) -> dict[str, Any]:
    a = organization_create(actor=admin_user, parent=root_org, name="A")
    a1 = organization_create(actor=admin_user, parent=a, name="A1")
    b = organization_create(actor=admin_user, parent=root_org, name="B")
    acme_sub = organization_create(actor=other_admin, parent=other_tenant, name="Acme Sub")
    acme_ops = user_create(
        actor=other_admin, organization=other_tenant, username="acme-ops", password=ACME_OPS_PASSWORD
    )
    role_create(
        actor=other_admin,
        organization=other_tenant,
        name="Ops",
        permissions=all_system_scope_names(),
        user_ids=[acme_ops.id],
    )
    return {
        "root": root_org,
        "acme": other_tenant,
        "A": a,
        "A1": a1,
        "B": b,
        "acme_sub": acme_sub,
        "root_objects": {**_populate(root_org, admin_user, "root"), "org": a},
        "acme_objects": {**_populate(other_tenant, other_admin, "acme"), "org": acme_sub},
        "b_user": user_create(actor=admin_user, organization=b, username="b-user", password=PASSWORD),
    }


def object_urls(prefix: str, objects: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(method, url, body) for reading, modifying and deleting each object."""
    user, group, role, org = objects["user"].id, objects["group"].id, objects["role"].id, objects["org"].id
    return [
        ("get", f"{prefix}{API}/users/{user}", None),
        ("patch", f"{prefix}{API}/users/{user}", {"givenName": "pwned"}),
        ("put", f"{prefix}{API}/users/{user}/state", {"state": "disabled"}),
        ("put", f"{prefix}{API}/users/{user}/password", {"password": "Pwn3d-password!"}),
        ("delete", f"{prefix}{API}/users/{user}", None),
        ("get", f"{prefix}{API}/groups/{group}", None),
        ("patch", f"{prefix}{API}/groups/{group}", {"name": "pwned"}),
        ("delete", f"{prefix}{API}/groups/{group}", None),
        ("get", f"{prefix}{API}/roles/{role}", None),
        ("patch", f"{prefix}{API}/roles/{role}", {"permissions": []}),
        ("delete", f"{prefix}{API}/roles/{role}", None),
        ("get", f"{prefix}{API}/organizations/{org}", None),
        ("put", f"{prefix}{API}/organizations/{org}", {"name": "pwned", "status": "DISABLED"}),
        ("patch", f"{prefix}{API}/organizations/{org}", [{"operation": "REPLACE", "path": "/name", "value": "pwned"}]),
        ("delete", f"{prefix}{API}/organizations/{org}", None),
    ]


def list_urls(prefix: str) -> list[str]:
    return [f"{prefix}{API}/{name}" for name in ("users", "groups", "roles", "organizations")]


def call(client: APIClient, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


@pytest.fixture
def acme_token_client(other_admin: User, mint_token: Callable[..., str]) -> APIClient:
    return bearer(mint_token(other_admin))


@pytest.fixture
def acme_basic_client(basic_auth: Callable[[str, str], str]) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("acme-ops", ACME_OPS_PASSWORD))
    return client


@pytest.fixture(params=["token", "basic"])
def acme_client(request: Any, acme_token_client: APIClient, acme_basic_client: APIClient) -> APIClient:
    return acme_token_client if request.param == "token" else acme_basic_client


# --- tenant against tenant ------------------------------------------------------------------


def test_acme_lists_only_its_own_objects(acme_client: APIClient, world: dict[str, Any]) -> None:
    users = acme_client.get(f"/t/acme{API}/users")
    assert users.status_code == 200, users.content
    assert sorted(u["username"] for u in users.json()["users"]) == ["acme-ops", "acme-user", "admin"]
    assert [g["name"] for g in acme_client.get(f"/t/acme{API}/groups").json()["groups"]] == ["acme group"]
    assert sorted(r["name"] for r in acme_client.get(f"/t/acme{API}/roles").json()["roles"]) == [
        "Administrator",
        "Ops",
        "acme role",
    ]
    orgs = acme_client.get(f"/t/acme{API}/organizations", {"recursive": "true"})
    assert [o["name"] for o in orgs.json()["organizations"]] == ["Acme Sub"]
    by_id = acme_client.get(f"/t/acme{API}/organizations", {"recursive": "true", "filter": f"id eq {world['A'].id}"})
    assert by_id.json()["organizations"] == []
    assert acme_client.get(f"/t/acme{API}/organizations/self").json()["id"] == str(world["acme"].id)


def test_acme_gets_404_for_root_ids_under_its_own_prefix(acme_client: APIClient, world: dict[str, Any]) -> None:
    before = snapshot()

    for method, url, body in object_urls("/t/acme", world["root_objects"]):
        assert_error(call(acme_client, method, url, body), 404)

    assert snapshot() == before


def test_acme_gets_401_under_roots_prefix(acme_client: APIClient, world: dict[str, Any]) -> None:
    before = snapshot()

    for prefix in ("/t/root", "", f"/t/root/o/{world['A'].id}"):
        for url in list_urls(prefix):
            assert_error(acme_client.get(url), 401, "AUT-60001")
        for method, url, body in object_urls(prefix, world["root_objects"]):
            assert_error(call(acme_client, method, url, body), 401, "AUT-60001")
    assert_error(acme_client.post(f"/t/root{API}/users", {"username": "planted"}, format="json"), 401, "AUT-60001")
    assert_error(acme_client.post(f"/t/root{API}/organizations", {"name": "Planted"}, format="json"), 401, "AUT-60001")

    assert snapshot() == before


def test_root_gets_404_for_acme_ids_and_401_under_acmes_prefix(admin_api: APIClient, world: dict[str, Any]) -> None:
    before = snapshot()

    for prefix in ("", "/t/root"):
        for method, url, body in object_urls(prefix, world["acme_objects"]):
            assert_error(call(admin_api, method, url, body), 404)
    for prefix in ("/t/acme", f"/t/acme/o/{world['acme_sub'].id}"):
        for url in list_urls(prefix):
            assert_error(admin_api.get(url), 401, "AUT-60001")
        for method, url, body in object_urls(prefix, world["acme_objects"]):
            assert_error(call(admin_api, method, url, body), 401, "AUT-60001")

    assert snapshot() == before


def test_roots_basic_credentials_do_not_work_at_acme(
    world: dict[str, Any], basic_auth: Callable[[str, str], str]
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("root-user", PASSWORD))

    assert_error(client.get(f"/t/acme{API}/users"), 401, "AUT-60001")


def test_another_tenants_org_in_the_url_prefix_is_404(
    admin_api: APIClient, acme_token_client: APIClient, world: dict[str, Any]
) -> None:
    for client, url in [
        (acme_token_client, f"/t/acme/o/{world['A'].id}{API}/users"),
        (acme_token_client, f"/t/acme/o/{world['root'].id}{API}/users"),
        (admin_api, f"/t/root/o/{world['acme_sub'].id}{API}/users"),
        (admin_api, f"/t/root/o/{world['acme'].id}{API}/organizations"),
    ]:
        assert_error(client.get(url), 404, "ORG-60015")


def test_cross_tenant_ids_in_bodies_are_refused(admin_api: APIClient, world: dict[str, Any]) -> None:
    acme = world["acme_objects"]
    before = snapshot()

    assert_error(admin_api.post(f"{API}/groups", {"name": "G", "members": [str(acme["user"].id)]}, format="json"), 400)
    assert_error(admin_api.post(f"{API}/roles", {"name": "R", "users": [str(acme["user"].id)]}, format="json"), 400)
    assert_error(admin_api.post(f"{API}/roles", {"name": "R", "groups": [str(acme["group"].id)]}, format="json"), 400)
    assert_error(
        admin_api.post(f"{API}/organizations", {"name": "O", "parentId": str(acme["org"].id)}, format="json"),
        400,
        "ORG-60005",
    )
    root_group = world["root_objects"]["group"]
    assert_error(
        admin_api.patch(f"{API}/groups/{root_group.id}", {"members": [str(acme["user"].id)]}, format="json"), 400
    )

    assert snapshot() == before


# --- a sub-organization administrator -------------------------------------------------------


ORG_SCOPES = [s for s in all_system_scope_names() if s.startswith("internal_org_")]
ROOT_NAMED_SCOPES = [s for s in all_system_scope_names() if not s.startswith("internal_org_")]


@pytest.fixture(params=["internal_org_scopes", "internal_scopes"])
def sub_admin(request: Any, world: dict[str, Any], admin_user: User) -> User:
    """An administrator created in A whose role in A holds org-twin or root-named scopes."""
    scopes = ORG_SCOPES if request.param == "internal_org_scopes" else ROOT_NAMED_SCOPES
    user = user_create(actor=admin_user, organization=world["A"], username="a-admin", password=PASSWORD)
    role_create(actor=admin_user, organization=world["A"], name="A Admin", permissions=scopes, user_ids=[user.id])
    return user


@pytest.fixture(params=["token", "basic"])
def sub_client(
    request: Any, sub_admin: User, mint_token: Callable[..., str], basic_auth: Callable[[str, str], str]
) -> APIClient:
    if request.param == "token":
        return bearer(mint_token(sub_admin, scopes=user_scope_names(user=sub_admin)))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("a-admin", PASSWORD))
    return client


def test_sub_org_admin_manages_its_org(sub_client: APIClient, world: dict[str, Any]) -> None:
    a = f"/t/root/o/{world['A'].id}{API}"

    users = sub_client.get(f"{a}/users")
    assert users.status_code == 200, users.content
    assert [u["username"] for u in users.json()["users"]] == ["a-admin"]
    created = sub_client.post(f"{a}/users", {"username": "a-staff", "password": PASSWORD}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["organizationId"] == str(world["A"].id)
    group = sub_client.post(f"{a}/groups", {"name": "A team", "members": [created.json()["id"]]}, format="json")
    assert group.status_code == 201, group.content
    role = sub_client.post(
        f"{a}/roles",
        {"name": "A viewer", "permissions": ["internal_org_user_mgt_view"], "groups": [group.json()["id"]]},
        format="json",
    )
    assert role.status_code == 201, role.content
    assert sub_client.patch(f"{a}/users/{created.json()['id']}", {"givenName": "Ann"}, format="json").status_code == 200
    assert sub_client.get(f"{a}/organizations/self").json()["id"] == str(world["A"].id)
    assert [o["name"] for o in sub_client.get(f"{a}/organizations").json()["organizations"]] == ["A1"]


def test_location_of_a_created_object_stays_in_the_org_context(sub_client: APIClient, world: dict[str, Any]) -> None:
    a = f"/t/root/o/{world['A'].id}{API}"

    user = sub_client.post(f"{a}/users", {"username": "located"}, format="json")
    org = sub_client.post(f"{a}/organizations", {"name": "Located"}, format="json")

    assert user["Location"] == f"{a}/users/{user.json()['id']}"
    assert org["Location"] == f"{a}/organizations/{org.json()['id']}"
    assert sub_client.get(user["Location"]).json()["username"] == "located"
    assert sub_client.get(org["Location"]).json()["name"] == "Located"


def test_sub_org_admin_manages_its_subtree(sub_client: APIClient, world: dict[str, Any]) -> None:
    a, a1 = f"/t/root/o/{world['A'].id}{API}", f"/t/root/o/{world['A1'].id}{API}"

    child = sub_client.post(f"{a}/organizations", {"name": "A2"}, format="json")
    assert child.status_code == 201, child.content
    grandchild = sub_client.post(f"{a}/organizations", {"name": "A11", "parentId": str(world["A1"].id)}, format="json")
    assert grandchild.status_code == 201, grandchild.content
    renamed = sub_client.patch(
        f"{a}/organizations/{world['A1'].id}",
        [{"operation": "REPLACE", "path": "/name", "value": "A-one"}],
        format="json",
    )
    assert renamed.status_code == 200, renamed.content
    assert sub_client.post(f"{a1}/users", {"username": "a1-staff"}, format="json").status_code == 201
    assert [u["username"] for u in sub_client.get(f"{a1}/users").json()["users"]] == ["a1-staff"]
    assert sub_client.delete(f"{a}/organizations/{child.json()['id']}").status_code == 204


def test_sub_org_admin_cannot_reach_root_or_a_sibling(sub_client: APIClient, world: dict[str, Any]) -> None:
    a = f"/t/root/o/{world['A'].id}{API}"
    outside_a = {**world["root_objects"], "org": world["B"]}
    before = snapshot()

    for prefix in ("/t/root", "", f"/t/root/o/{world['B'].id}", "/t/acme"):
        for url in list_urls(prefix):
            assert_error(sub_client.get(url), 401, "AUT-60001")
    assert_error(sub_client.get(f"/t/root/o/{world['B'].id}{API}/users/{world['b_user'].id}"), 401, "AUT-60001")
    assert_error(sub_client.post(f"/t/root{API}/users", {"username": "planted"}, format="json"), 401, "AUT-60001")
    # Root's or B's objects named under A's own prefix simply do not exist there.
    for method, url, body in object_urls(f"/t/root/o/{world['A'].id}", outside_a):
        assert_error(call(sub_client, method, url, body), 404)
    for org in (world["root"], world["B"]):
        assert_error(sub_client.get(f"{a}/organizations/{org.id}"), 404, "ORG-60015")
        assert_error(sub_client.delete(f"{a}/organizations/{org.id}"), 404, "ORG-60015")
    assert_error(sub_client.get(f"{a}/users/{world['b_user'].id}"), 404, "UMG-60015")
    assert_error(
        sub_client.post(f"{a}/organizations", {"name": "X", "parentId": str(world["B"].id)}, format="json"),
        400,
        "ORG-60005",
    )
    assert_error(
        sub_client.post(f"{a}/groups", {"name": "X", "members": [str(world["b_user"].id)]}, format="json"), 400
    )
    assert_error(sub_client.delete(f"{a}/organizations/{world['A'].id}"), 400, "ORG-60064")

    assert snapshot() == before


def test_root_admin_reaches_into_sub_orgs(admin_api: APIClient, world: dict[str, Any], sub_admin: User) -> None:
    response = admin_api.get(f"/t/root/o/{world['A'].id}{API}/users")

    assert response.status_code == 200
    assert [u["username"] for u in response.json()["users"]] == ["a-admin"]


def test_disabling_an_org_cuts_off_its_admins_api_access(
    sub_client: APIClient, admin_api: APIClient, world: dict[str, Any]
) -> None:
    a = f"/t/root/o/{world['A'].id}{API}"
    assert sub_client.get(f"{a}/users").status_code == 200
    disable = [{"operation": "REPLACE", "path": "/status", "value": "DISABLED"}]
    for org in (world["A1"], world["A"]):
        assert admin_api.patch(f"{API}/organizations/{org.id}", disable, format="json").status_code == 200

    assert_error(sub_client.get(f"{a}/users"), 401, "AUT-60001")
    # The root administrator still manages the disabled organization.
    assert admin_api.get(f"{a}/users").status_code == 200
