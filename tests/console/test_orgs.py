"""Organizations pages: tree, nested search, create, edit, delete."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.orgs.models import Organization
from apps.orgs.services import organization_create
from tests.console.conftest import html, results

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(root_org: Organization) -> dict[str, Organization]:
    emea = organization_create(actor=None, parent=root_org, name="EMEA", handle="emea")
    france = organization_create(actor=None, parent=emea, name="France", handle="france")
    paris = organization_create(actor=None, parent=france, name="Paris Needle Office", handle="paris")
    apac = organization_create(actor=None, parent=root_org, name="APAC", handle="apac")
    return {"emea": emea, "france": france, "paris": paris, "apac": apac}


def test_tree_is_indented_by_depth(console: Client, tree: dict[str, Organization]) -> None:
    page = html(console.get("/console/organizations/"))
    assert page.index("EMEA") < page.index("France") < page.index("Paris Needle Office")
    assert 'class="depth-1"' in page
    assert 'class="depth-3"' in page


def test_nested_search_finds_deep_descendants(console: Client, tree: dict[str, Organization]) -> None:
    page = results(console, "/console/organizations/?q=needle")
    assert "Paris Needle Office" in page
    assert "APAC" not in page
    assert "France" in page  # shown as the parent column


def test_search_is_a_fragment_for_htmx(console: Client, tree: dict[str, Organization]) -> None:
    response = console.get("/console/organizations/?q=needle", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body
    assert "Paris Needle Office" in body
    assert "HX-Request" in response["Vary"]


def test_search_syntax_problem_is_shown_not_raised(console: Client, tree: dict[str, Organization]) -> None:
    response = console.get("/console/organizations/?q=a+and+b")
    assert response.status_code == 200
    assert "errorlist" in html(response)


def test_sub_organization_console_sees_only_its_subtree(console: Client, tree: dict[str, Organization]) -> None:
    page = results(console, f"/t/root/o/{tree['emea'].pk}/console/organizations/")
    assert "France" in page
    assert "Paris Needle Office" in page
    assert "APAC" not in page


def test_create_sub_organization(console: Client, root_org: Organization) -> None:
    assert console.get("/console/organizations/new/").status_code == 200
    response = console.post(
        "/console/organizations/new/",
        {"name": "Research", "handle": "research", "description": "R&D", "parent": str(root_org.pk)},
    )
    org = Organization.objects.get(handle="research")
    assert response.status_code == 302
    assert response["Location"] == f"/console/organizations/{org.pk}/"
    assert org.parent == root_org
    assert org.description == "R&D"
    assert "created" in html(console.get(response["Location"]))


def test_create_under_a_chosen_parent_without_handle(console: Client, tree: dict[str, Organization]) -> None:
    page = html(console.get(f"/console/organizations/new/?parent={tree['france'].pk}"))
    assert f'value="{tree["france"].pk}" selected' in page
    console.post("/console/organizations/new/", {"name": "Lyon", "parent": str(tree["france"].pk)})
    lyon = Organization.objects.get(name="Lyon")
    assert lyon.parent == tree["france"]
    assert lyon.handle == str(lyon.pk)


def test_duplicate_handle_is_an_inline_error(console: Client, root_org: Organization, tree) -> None:
    response = console.post("/console/organizations/new/", {"name": "Other", "handle": "emea", "parent": root_org.pk})
    assert response.status_code == 400
    page = html(response)
    assert '<ul class="errorlist" id="id_handle_error"><li>Organization handle already exists.</li></ul>' in page
    assert 'value="Other"' in page  # the form keeps what was typed


def test_bad_input_is_inline(console: Client, root_org: Organization) -> None:
    response = console.post("/console/organizations/new/", {"name": "x" * 300, "parent": root_org.pk})
    assert response.status_code == 400
    assert 'id="id_name_error"' in html(response)
    bad_handle = {"name": "Ok", "handle": "Bad Handle", "parent": root_org.pk}
    response = console.post("/console/organizations/new/", bad_handle)
    assert response.status_code == 400
    assert 'id="id_handle_error"' in html(response)
    response = console.post("/console/organizations/new/", {"name": "", "parent": root_org.pk})
    assert "Organization name is required." in html(response)


def test_parent_outside_the_subtree_is_refused(console: Client, root_org: Organization, other_tenant) -> None:
    response = console.post("/console/organizations/new/", {"name": "Evil", "parent": str(other_tenant.pk)})
    assert response.status_code == 400
    assert 'id="id_parent_error"' in html(response)
    assert not Organization.objects.filter(name="Evil").exists()


def test_edit_organization(console: Client, tree: dict[str, Organization]) -> None:
    apac = tree["apac"]
    url = f"/console/organizations/{apac.pk}/"
    assert console.get(url).status_code == 200
    response = console.post(url, {"name": "Asia Pacific", "description": "East", "status": "DISABLED"})
    assert response.status_code == 302
    apac.refresh_from_db()
    assert (apac.name, apac.description, apac.status) == ("Asia Pacific", "East", "DISABLED")


def test_edit_rule_violation_is_inline(console: Client, tree: dict[str, Organization]) -> None:
    response = console.post(
        f"/console/organizations/{tree['emea'].pk}/", {"name": "EMEA", "description": "", "status": "DISABLED"}
    )
    assert response.status_code == 400
    assert 'id="id_status_error"' in html(response)
    response = console.post(
        f"/console/organizations/{tree['apac'].pk}/", {"name": "EMEA", "description": "", "status": "ACTIVE"}
    )
    assert 'id="id_name_error"' in html(response)


def test_delete_needs_a_confirmation_page(console: Client, tree: dict[str, Organization]) -> None:
    apac = tree["apac"]
    page = console.get(f"/console/organizations/{apac.pk}/delete/")
    assert page.status_code == 200
    assert 'method="post"' in html(page)
    assert "APAC" in html(page)
    assert Organization.objects.filter(pk=apac.pk).exists()
    response = console.post(f"/console/organizations/{apac.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/console/organizations/"
    assert not Organization.objects.filter(pk=apac.pk).exists()


def test_delete_with_children_is_refused_inline(console: Client, tree: dict[str, Organization]) -> None:
    response = console.post(f"/console/organizations/{tree['emea'].pk}/delete/")
    assert response.status_code == 400
    assert "child organizations" in html(response)
    assert Organization.objects.filter(pk=tree["emea"].pk).exists()


def test_cannot_delete_the_organization_being_managed(console: Client, tree: dict[str, Organization]) -> None:
    paris = tree["paris"]
    response = console.post(f"/t/root/o/{paris.pk}/console/organizations/{paris.pk}/delete/")
    assert response.status_code == 400
    assert Organization.objects.filter(pk=paris.pk).exists()


def test_unknown_org_id_is_404(console: Client, root_org: Organization) -> None:
    assert console.get("/console/organizations/00000000-0000-0000-0000-000000000000/").status_code == 404
