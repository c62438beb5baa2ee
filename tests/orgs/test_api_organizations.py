"""The organizations API as a client uses it: WSO2 acceptance AT-1.1..AT-1.6,
nested search, cursor pagination, the sub-organization URL context, PUT,
PATCH and ``organizations/self``."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.orgs.models import Organization
from apps.orgs.services import organization_create, organization_update
from apps.users.models import Group, Role, User
from apps.users.services import group_create, role_create, user_create
from tests.api_helpers import assert_error, links_of

ORGS = "/api/server/v1/organizations"


def sub_orgs_url(org: Organization) -> str:
    return f"/t/root/o/{org.id}{ORGS}"


def names_of(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(o["name"] for o in response.json()["organizations"])


@pytest.fixture
def tree(root_org: Organization, admin_user: User) -> dict[str, Organization]:
    """root → A → A1 → A11, and a sibling B of A."""
    a = organization_create(actor=admin_user, parent=root_org, name="A")
    a1 = organization_create(actor=admin_user, parent=a, name="A1")
    a11 = organization_create(actor=admin_user, parent=a1, name="A11")
    b = organization_create(actor=admin_user, parent=root_org, name="B")
    return {"A": a, "A1": a1, "A11": a11, "B": b}


# --- AT-1.1 / AT-1.2 / AT-1.3: handles ------------------------------------------------


def test_create_with_handle_returns_201_location_and_the_handle_is_taken(
    admin_api: APIClient, root_org: Organization
) -> None:
    response = admin_api.post(ORGS, {"name": "ABC Builders", "orgHandle": "abcbuilders"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"{ORGS}/{body['id']}"
    assert body["name"] == "ABC Builders"
    assert body["orgHandle"] == "abcbuilders"
    assert body["status"] == "ACTIVE"
    assert body["type"] == "TENANT"
    assert body["parent"]["id"] == str(root_org.id)
    assert body["created"].endswith("Z")

    fetched = admin_api.get(response["Location"])
    assert fetched.status_code == 200
    assert fetched.json()["orgHandle"] == "abcbuilders"

    taken = admin_api.post(f"{ORGS}/check-handle", {"orgHandle": "abcbuilders"}, format="json")
    assert taken.status_code == 200
    assert taken.json() == {"available": False}
    free = admin_api.post(f"{ORGS}/check-handle", {"orgHandle": "someone-else"}, format="json")
    assert free.json() == {"available": True}


def test_create_without_handle_uses_the_id_as_handle(admin_api: APIClient) -> None:
    response = admin_api.post(ORGS, {"name": "No Handle Ltd"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["orgHandle"] == body["id"]
    assert admin_api.get(f"{ORGS}/{body['id']}").json()["orgHandle"] == body["id"]


def test_handle_cannot_be_patched(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    org = organization_create(actor=admin_user, parent=root_org, name="ABC Builders", handle="abcbuilders")

    response = admin_api.patch(
        f"{ORGS}/{org.id}", [{"operation": "REPLACE", "path": "/orgHandle", "value": "x"}], format="json"
    )

    assert_error(response, 400, "ORG-60011")
    assert admin_api.get(f"{ORGS}/{org.id}").json()["orgHandle"] == "abcbuilders"
    org.refresh_from_db()
    assert org.handle == "abcbuilders"


def test_handle_taken_by_another_tenant_is_a_conflict(admin_api: APIClient, other_tenant: Organization) -> None:
    before = Organization.objects.count()

    response = admin_api.post(ORGS, {"name": "Acme copy", "orgHandle": "acme"}, format="json")

    assert_error(response, 409, "ORG-60085")
    assert Organization.objects.count() == before


# --- AT-1.4 and nested search ------------------------------------------------------------


def test_list_at_root_shows_immediate_children_only(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    response = admin_api.get(ORGS)

    assert names_of(response) == ["A", "B"]
    a = next(o for o in response.json()["organizations"] if o["name"] == "A")
    assert a == {
        "id": str(tree["A"].id),
        "name": "A",
        "orgHandle": tree["A"].handle,
        "status": "ACTIVE",
        "version": "v1.0.0",
        "hasChildren": True,
        "ref": f"{ORGS}/{tree['A'].id}",
    }


def test_recursive_filter_finds_descendants_at_any_depth(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    assert names_of(admin_api.get(ORGS, {"recursive": "true", "filter": "name co 1"})) == ["A1", "A11"]
    assert names_of(admin_api.get(ORGS, {"filter": "name co 1"})) == []


def test_nested_search_finds_an_organization_three_levels_deep_by_name(
    admin_api: APIClient, root_org: Organization, admin_user: User
) -> None:
    region = organization_create(actor=admin_user, parent=root_org, name="Central Region")
    branch = organization_create(actor=admin_user, parent=region, name="Kandy Branch")
    outlet = organization_create(actor=admin_user, parent=branch, name="Peradeniya Outlet")

    response = admin_api.get(ORGS, {"recursive": "true", "filter": "name eq Peradeniya Outlet"})

    assert response.status_code == 200, response.content
    assert [o["id"] for o in response.json()["organizations"]] == [str(outlet.id)]
    detail = admin_api.get(f"{ORGS}/{outlet.id}").json()
    assert detail["depth"] == 3
    assert [a["name"] for a in detail["ancestorPath"]] == [
        "Root",
        "Central Region",
        "Kandy Branch",
        "Peradeniya Outlet",
    ]
    # Not an immediate child, so a plain (non-recursive) search misses it.
    assert names_of(admin_api.get(ORGS, {"filter": "name eq Peradeniya Outlet"})) == []
    assert names_of(admin_api.get(ORGS, {"recursive": "true", "filter": "name sw peradeniya"})) == ["Peradeniya Outlet"]


def test_filters_combine_with_and(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    organization_create(
        actor=admin_user, parent=root_org, name="Lanka One", attributes=[{"key": "Country", "value": "Sri Lanka"}]
    )
    organization_create(
        actor=admin_user, parent=root_org, name="Lanka Two", attributes=[{"key": "Country", "value": "India"}]
    )

    assert names_of(admin_api.get(ORGS, {"filter": "attributes.Country eq Sri Lanka"})) == ["Lanka One"]
    assert names_of(admin_api.get(ORGS, {"filter": "name sw Lanka and status eq ACTIVE"})) == ["Lanka One", "Lanka Two"]
    assert names_of(admin_api.get(ORGS, {"filter": "name ew Two and attributes.Country co ind"})) == ["Lanka Two"]
    assert names_of(admin_api.get(ORGS, {"filter": f"parentId eq {root_org.id}"})) == ["Lanka One", "Lanka Two"]
    assert names_of(admin_api.get(ORGS, {"filter": "created gt 2000-01-01T00:00:00Z"})) == ["Lanka One", "Lanka Two"]


# --- AT-1.5: sibling names -----------------------------------------------------------------


def test_sibling_names_are_unique_but_cousins_may_share(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    assert (
        admin_api.post(ORGS, {"name": "ABC Builders", "parentId": str(tree["A"].id)}, format="json").status_code == 201
    )
    before = Organization.objects.count()

    duplicate = admin_api.post(ORGS, {"name": "ABC Builders", "parentId": str(tree["A"].id)}, format="json")

    assert_error(duplicate, 400, "ORG-60070")
    assert Organization.objects.count() == before
    cousin = admin_api.post(ORGS, {"name": "ABC Builders", "parentId": str(tree["B"].id)}, format="json")
    assert cousin.status_code == 201, cousin.content
    assert cousin.json()["parent"]["id"] == str(tree["B"].id)


def test_check_name_reports_names_taken_among_children(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    assert admin_api.post(f"{ORGS}/check-name", {"name": "A"}, format="json").json() == {"available": False}
    assert admin_api.post(f"{ORGS}/check-name", {"name": "A1"}, format="json").json() == {"available": True}


# --- AT-1.6: lifecycle ---------------------------------------------------------------------


def test_disable_with_active_child_is_refused(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    response = admin_api.patch(
        f"{ORGS}/{tree['A'].id}", [{"operation": "REPLACE", "path": "/status", "value": "DISABLED"}], format="json"
    )

    assert_error(response, 400, "ORG-60029")
    tree["A"].refresh_from_db()
    assert tree["A"].status == "ACTIVE"


def test_disable_bottom_up_then_children_cannot_be_created_or_reactivated(
    admin_api: APIClient, tree: dict[str, Organization]
) -> None:
    disable = [{"operation": "REPLACE", "path": "/status", "value": "DISABLED"}]
    for name in ("A11", "A1"):
        response = admin_api.patch(f"{ORGS}/{tree[name].id}", disable, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "DISABLED"

    under_disabled = admin_api.post(ORGS, {"name": "Late", "parentId": str(tree["A1"].id)}, format="json")
    assert_error(under_disabled, 400, "ORG-60031")
    reactivate = admin_api.patch(
        f"{ORGS}/{tree['A11'].id}", [{"operation": "REPLACE", "path": "/status", "value": "ACTIVE"}], format="json"
    )
    assert_error(reactivate, 400, "ORG-60030")


def test_delete_with_children_is_refused_and_nothing_is_deleted(
    admin_api: APIClient, tree: dict[str, Organization]
) -> None:
    before = Organization.objects.count()

    response = admin_api.delete(f"{ORGS}/{tree['A'].id}")

    assert_error(response, 400, "ORG-60007")
    assert Organization.objects.count() == before
    assert admin_api.get(f"{ORGS}/{tree['A1'].id}").status_code == 200


def test_delete_leaf_first_then_parent(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    for name in ("A11", "A1", "A"):
        response = admin_api.delete(f"{ORGS}/{tree[name].id}")
        assert response.status_code == 204, response.content
        assert_error(admin_api.get(f"{ORGS}/{tree[name].id}"), 404, "ORG-60015")
    assert names_of(admin_api.get(ORGS)) == ["B"]


# --- cursor pagination ---------------------------------------------------------------------


def test_cursor_pagination_follows_next_and_previous(
    admin_api: APIClient, root_org: Organization, admin_user: User
) -> None:
    created = {str(organization_create(actor=admin_user, parent=root_org, name=f"Child {i}").id) for i in range(5)}

    pages: list[list[str]] = []
    responses = []
    url: str | None = f"{ORGS}?limit=2"
    while url is not None:
        assert len(pages) < 5, "pagination does not terminate"
        response = admin_api.get(url)
        assert response.status_code == 200, response.content
        pages.append([o["id"] for o in response.json()["organizations"]])
        responses.append(response)
        url = links_of(response).get("next")

    seen = [org_id for page in pages for org_id in page]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == created
    assert "previous" not in links_of(responses[0])
    assert "limit=2" in links_of(responses[0])["next"]

    back = admin_api.get(links_of(responses[1])["previous"])
    assert back.status_code == 200
    assert [o["id"] for o in back.json()["organizations"]] == pages[0]
    back_from_last = admin_api.get(links_of(responses[2])["previous"])
    assert [o["id"] for o in back_from_last.json()["organizations"]] == pages[1]


def test_cursor_links_keep_the_filter(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    for i in range(3):
        organization_create(actor=admin_user, parent=root_org, name=f"Keep {i}")
    organization_create(actor=admin_user, parent=root_org, name="Other")

    first = admin_api.get(ORGS, {"filter": "name sw Keep", "limit": 2})
    second = admin_api.get(links_of(first)["next"])

    assert len(first.json()["organizations"]) == 2
    assert [o["name"] for o in second.json()["organizations"]] == ["Keep 2"]
    assert "next" not in links_of(second)


# --- sub-organization context --------------------------------------------------------------


def test_sub_org_context_lists_that_orgs_children_only(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    assert names_of(admin_api.get(sub_orgs_url(tree["A"]))) == ["A1"]
    assert names_of(admin_api.get(sub_orgs_url(tree["A"]), {"recursive": "true"})) == ["A1", "A11"]
    assert names_of(admin_api.get(sub_orgs_url(tree["B"]))) == []


def test_sub_org_context_creates_under_that_org_and_hides_others(
    admin_api: APIClient, tree: dict[str, Organization], root_org: Organization
) -> None:
    created = admin_api.post(sub_orgs_url(tree["A"]), {"name": "A2"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["parent"]["id"] == str(tree["A"].id)

    assert_error(admin_api.get(f"{sub_orgs_url(tree['A'])}/{tree['B'].id}"), 404, "ORG-60015")
    assert_error(admin_api.get(f"{sub_orgs_url(tree['A'])}/{root_org.id}"), 404, "ORG-60015")
    foreign_parent = admin_api.post(
        sub_orgs_url(tree["A"]), {"name": "X", "parentId": str(tree["B"].id)}, format="json"
    )
    assert_error(foreign_parent, 400, "ORG-60005")
    detail = admin_api.get(f"{sub_orgs_url(tree['A'])}/{tree['A11'].id}").json()
    assert [a["name"] for a in detail["ancestorPath"]] == ["A", "A1", "A11"]


def test_unknown_org_in_the_url_prefix_is_404(admin_api: APIClient, root_org: Organization) -> None:
    assert_error(admin_api.get(f"/t/root/o/00000000-0000-0000-0000-000000000000{ORGS}"), 404, "ORG-60015")
    assert_error(admin_api.get(f"/t/root/o/not-a-uuid{ORGS}"), 404, "ORG-60015")
    assert_error(admin_api.get(f"/t/no-such-tenant{ORGS}"), 404, "ORG-60015")


# --- PUT / PATCH / self --------------------------------------------------------------------


def test_put_replaces_the_editable_fields(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    org = organization_create(
        actor=admin_user,
        parent=root_org,
        name="Before",
        description="old",
        attributes=[{"key": "Old", "value": "1"}],
    )

    response = admin_api.put(
        f"{ORGS}/{org.id}",
        {"name": "After", "status": "ACTIVE", "description": "new", "attributes": [{"key": "Country", "value": "LK"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["description"], body["status"]) == ("After", "new", "ACTIVE")
    assert body["attributes"] == [{"key": "Country", "value": "LK"}]
    assert body["orgHandle"] == org.handle
    org.refresh_from_db()
    assert org.attributes == {"Country": "LK"}


def test_put_can_disable_a_leaf(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    response = admin_api.put(f"{ORGS}/{tree['B'].id}", {"name": "B", "status": "DISABLED"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "DISABLED"


def test_patch_attributes_add_replace_remove(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    url = f"{ORGS}/{tree['B'].id}"

    added = admin_api.patch(url, [{"operation": "ADD", "path": "/attributes/Country", "value": "LK"}], format="json")
    assert added.status_code == 200, added.content
    assert added.json()["attributes"] == [{"key": "Country", "value": "LK"}]

    replaced = admin_api.patch(
        url, [{"operation": "REPLACE", "path": "/attributes/Country", "value": "IN"}], format="json"
    )
    assert replaced.json()["attributes"] == [{"key": "Country", "value": "IN"}]

    removed = admin_api.patch(url, [{"operation": "REMOVE", "path": "/attributes/Country"}], format="json")
    assert removed.status_code == 200
    assert removed.json()["attributes"] == []

    assert_error(
        admin_api.patch(url, [{"operation": "REPLACE", "path": "/attributes/Nope", "value": "x"}], format="json"),
        400,
        "ORG-60013",
    )
    assert_error(
        admin_api.patch(url, [{"operation": "REMOVE", "path": "/attributes/Nope"}], format="json"), 400, "ORG-60012"
    )


def test_patch_applies_several_operations_or_none(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    url = f"{ORGS}/{tree['B'].id}"

    ok = admin_api.patch(
        url,
        [
            {"operation": "REPLACE", "path": "/name", "value": "Beta"},
            {"operation": "ADD", "path": "/description", "value": "second branch"},
        ],
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert (ok.json()["name"], ok.json()["description"]) == ("Beta", "second branch")

    failing = admin_api.patch(
        url,
        [
            {"operation": "REPLACE", "path": "/name", "value": "Gamma"},
            {"operation": "REPLACE", "path": "/nope", "value": "x"},
        ],
        format="json",
    )
    assert_error(failing, 400, "ORG-60011")
    assert admin_api.get(url).json()["name"] == "Beta"


def test_patch_mandatory_fields_only_replace(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    url = f"{ORGS}/{tree['B'].id}"

    assert_error(admin_api.patch(url, [{"operation": "REMOVE", "path": "/name"}], format="json"), 400, "ORG-60020")
    assert_error(
        admin_api.patch(url, [{"operation": "ADD", "path": "/status", "value": "DISABLED"}], format="json"),
        400,
        "ORG-60020",
    )
    assert admin_api.get(url).json()["name"] == "B"


def test_patch_name_to_a_siblings_name_is_refused(admin_api: APIClient, tree: dict[str, Organization]) -> None:
    response = admin_api.patch(
        f"{ORGS}/{tree['B'].id}", [{"operation": "REPLACE", "path": "/name", "value": "A"}], format="json"
    )

    assert_error(response, 400, "ORG-60070")


def test_self_returns_the_org_of_the_url(
    admin_api: APIClient, root_org: Organization, tree: dict[str, Organization]
) -> None:
    at_root = admin_api.get(f"{ORGS}/self")
    assert at_root.status_code == 200
    assert (at_root.json()["id"], at_root.json()["orgHandle"]) == (str(root_org.id), "root")

    in_a = admin_api.get(f"{sub_orgs_url(tree['A'])}/self")
    assert in_a.json()["id"] == str(tree["A"].id)
    assert in_a.json()["hasChildren"] is True


def test_patch_self_renames_only(admin_api: APIClient, root_org: Organization, tree: dict[str, Organization]) -> None:
    renamed = admin_api.patch(
        f"{ORGS}/self", [{"operation": "REPLACE", "path": "/name", "value": "Root Display Name"}], format="json"
    )
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == "Root Display Name"
    root_org.refresh_from_db()
    assert (root_org.name, root_org.handle) == ("Root Display Name", "root")

    refused = admin_api.patch(
        f"{ORGS}/self", [{"operation": "REPLACE", "path": "/description", "value": "x"}], format="json"
    )
    assert_error(refused, 400, "ORG-60011")
    assert admin_api.delete(f"{ORGS}/self").status_code in {403, 405}
    assert Organization.objects.filter(pk=root_org.pk).exists()


def test_an_org_cannot_delete_itself_or_its_root(
    admin_api: APIClient, root_org: Organization, tree: dict[str, Organization]
) -> None:
    assert_error(admin_api.delete(f"{sub_orgs_url(tree['B'])}/{tree['B'].id}"), 400, "ORG-60064")
    assert admin_api.delete(f"{ORGS}/{root_org.id}").status_code == 400
    assert Organization.objects.filter(pk__in=[root_org.pk, tree["B"].pk]).count() == 2


def test_root_cannot_be_disabled(admin_api: APIClient, root_org: Organization) -> None:
    response = admin_api.put(f"{ORGS}/{root_org.id}", {"name": "Root", "status": "DISABLED"}, format="json")

    assert_error(response, 400, "ORG-60050")


def test_disabled_parent_by_service_shows_in_list_status(
    admin_api: APIClient, tree: dict[str, Organization], admin_user: User
) -> None:
    organization_update(actor=admin_user, organization=tree["B"], status="DISABLED")

    listed = {o["name"]: o["status"] for o in admin_api.get(ORGS).json()["organizations"]}

    assert listed == {"A": "ACTIVE", "B": "DISABLED"}
    assert names_of(admin_api.get(ORGS, {"filter": "status eq DISABLED"})) == ["B"]


def test_deleting_a_leaf_org_takes_its_users_groups_and_roles_along(
    admin_api: APIClient, tree: dict[str, Organization], admin_user: User, mint_token: Any
) -> None:
    org = tree["B"]
    member = user_create(actor=admin_user, organization=org, username="b-user", password="Str0ng-passw0rd")
    group = group_create(actor=admin_user, organization=org, name="B team", member_ids=[member.id])
    role_create(
        actor=admin_user,
        organization=org,
        name="B role",
        permissions=["internal_org_user_mgt_view"],
        group_ids=[group.id],
    )
    token = mint_token(member)

    assert admin_api.delete(f"{ORGS}/{org.id}").status_code == 204

    assert not User.objects.filter(organization_id=org.id).exists()
    assert not Group.objects.filter(organization_id=org.id).exists()
    assert not Role.objects.filter(organization_id=org.id).exists()
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert stale.get(f"/t/root/o/{org.id}/api/server/v1/users").status_code == 404
