"""Console pages for attributes and OIDC scopes."""

from __future__ import annotations

import base64

from apps.attributes.models import LocalClaim, OIDCScope
from apps.orgs.services import organization_create


def html(response) -> str:
    return response.content.decode()


def b64(uri: str) -> str:
    return base64.urlsafe_b64encode(uri.encode()).rstrip(b"=").decode()


FORM = {"data_type": "string", "display_order": "0", "supported_by_default": "on"}


def test_navigation_and_list(console):
    page = html(console.get("/console/attributes/"))
    assert 'href="/console/attributes/"' in page
    assert 'href="/console/oidc-scopes/"' in page
    assert "http://wso2.org/claims/emailaddress" in page


def test_create_an_options_attribute_edit_and_delete_it(console, root_org):
    response = console.post(
        "/console/attributes/new/",
        {
            **FORM,
            "name": "shirtSize",
            "display_name": "Shirt size",
            "options": "S = Small\nL = Large",
            "input_format": "radio_group",
        },
    )
    assert response.status_code == 302, html(response)
    claim = LocalClaim.objects.get(organization=root_org, claim_uri="http://wso2.org/claims/shirtSize")
    assert claim.canonical_values == [{"value": "S", "label": "Small"}, {"value": "L", "label": "Large"}]
    assert (claim.input_format, claim.supported_by_default) == ("radio_group", True)
    url = f"/console/attributes/{b64(claim.claim_uri)}/"
    page = html(console.get(url))
    assert "S = Small\nL = Large" in page
    saved = console.post(
        url,
        {
            **FORM,
            "display_name": "T-shirt size",
            "options": "S = Small",
            "multi_valued": "on",
            "input_format": "checkbox_group",
        },
    )
    assert saved.status_code == 302, html(saved)
    claim.refresh_from_db()
    assert (claim.display_name, claim.multi_valued, claim.input_format) == ("T-shirt size", True, "checkbox_group")
    assert console.post(f"{url}delete/").status_code == 302
    assert not LocalClaim.objects.filter(pk=claim.pk).exists()


def test_rule_violations_show_inline(console):
    response = console.post(
        "/console/attributes/new/",
        {**FORM, "name": "flag", "display_name": "Flag", "data_type": "boolean", "multi_valued": "on"},
    )
    assert response.status_code == 400
    assert "Boolean attributes cannot be multi-valued." in html(response)
    response = console.post("/console/attributes/new/", {**FORM, "name": "bad name", "display_name": "X"})
    assert response.status_code == 400
    assert "Claim URI must be http://wso2.org/claims/" in html(response)


def test_input_formats_follow_the_data_type(console):
    fragment = html(console.post("/console/attributes/input-formats/", {"data_type": "boolean"}))
    assert 'value="toggle"' in fragment
    assert 'value="checkbox"' in fragment
    assert 'value="text_input"' not in fragment
    fragment = html(
        console.post(
            "/console/attributes/input-formats/", {"data_type": "string", "options": "a\nb", "multi_valued": "on"}
        )
    )
    assert 'value="multi_select_dropdown"' in fragment
    assert 'value="dropdown"' not in fragment


def test_system_attributes_cannot_be_deleted(console):
    url = f"/console/attributes/{b64('http://wso2.org/claims/emailaddress')}/delete/"
    response = console.post(url)
    assert response.status_code == 400
    assert "System attributes cannot be deleted." in html(response)


def test_oidc_scope_pages(console, root_org):
    page = html(console.get("/console/oidc-scopes/"))
    assert "<code>profile</code>" in page
    created = console.post(
        "/console/oidc-scopes/new/", {"name": "work", "display_name": "Work", "claims": ["email", "locale"]}
    )
    assert created.status_code == 302, html(created)
    scope = OIDCScope.objects.get(organization=root_org, name="work")
    assert sorted(c.claim_uri for c in scope.claims.all()) == ["email", "locale"]
    saved = console.post("/console/oidc-scopes/work/", {"display_name": "Job", "claims": ["zoneinfo"]})
    assert saved.status_code == 302
    assert [c.claim_uri for c in OIDCScope.objects.get(pk=scope.pk).claims.all()] == ["zoneinfo"]
    bad = console.post("/console/oidc-scopes/new/", {"name": "has space", "display_name": "X"})
    assert bad.status_code == 400
    assert "without spaces" in html(bad)
    assert console.post("/console/oidc-scopes/openid/delete/").status_code == 400
    assert console.post("/console/oidc-scopes/work/delete/").status_code == 302


def test_sub_organization_pages_are_read_only(console, root_org):
    branch = organization_create(actor=None, parent=root_org, name="Branch")
    page = html(console.get(f"/t/root/o/{branch.id}/console/attributes/"))
    assert "managed in the root organization" in page
    assert "New attribute" not in page
    response = console.post(
        f"/t/root/o/{branch.id}/console/attributes/new/", {**FORM, "name": "x", "display_name": "X"}
    )
    assert response.status_code == 400
    assert "Claim modification is not allowed for this organization." in html(response)


def test_users_without_the_scope_get_403(signed_in, root_org, make_user):
    viewer = make_user(root_org, "viewer", ["internal_user_mgt_list"])
    client = signed_in(viewer)
    assert client.get("/console/attributes/").status_code == 403
    assert 'href="/console/attributes/"' not in html(client.get("/console/users/"))
