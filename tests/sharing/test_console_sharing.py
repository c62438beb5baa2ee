"""The "Shared access" tab: a plain form that changes the sharing in place and shows the roles per organization."""

from __future__ import annotations

from apps.applications.models import SharedApplication
from tests.sharing.conftest import shared_roles


def url(app) -> str:
    return f"/console/applications/{app.application.uuid}/sharing/"


def test_tab_switches_modes_in_place(tree, app_x, r1, r2, admin_user, signed_in, make_user):
    console = signed_in(admin_user)
    page = console.get(url(app_x))
    assert page.status_code == 200
    assert "Shared access" in page.content.decode()
    assert "not shared with any organization" in page.content.decode()

    # Mode (b): a common set of roles for all organizations.
    response = console.post(url(app_x), {"mode": "all", "future": "1", "role_mode": "SELECTED", "roles": ["R1"]})
    assert response.status_code == 302
    assert {org: shared_roles(app_x, org) for org in (tree.a, tree.a1, tree.b)} == {
        tree.a: {"R1"},
        tree.a1: {"R1"},
        tree.b: {"R1"},
    }
    page = console.get(url(app_x)).content.decode()
    assert 'data-org="alpha-one"><td>Alpha One</td><td><code>alpha-one</code></td><td class="roles">R1</td>' in page

    # Mode (c): per organization; A keeps R1 (and its assignment), A1 gets R2 only, B loses the app.
    kim = make_user(tree.a, "kim")
    from apps.users.models import Role

    copy = Role.objects.get(organization=tree.a, audience_application=app_x.application, name="R1")
    copy.users.add(kim)
    response = console.post(
        url(app_x),
        {
            "mode": "selected",
            "orgs": [str(tree.a.id), str(tree.a1.id)],
            f"roles-{tree.a.id}": ["R1"],
            f"roles-{tree.a1.id}": ["R2"],
        },
    )
    assert response.status_code == 302
    assert shared_roles(app_x, tree.a) == {"R1"}
    assert shared_roles(app_x, tree.a1) == {"R2"}
    assert not SharedApplication.objects.filter(application=app_x.application, organization=tree.b).exists()
    assert copy.users.filter(pk=kim.pk).exists()

    # Nothing selected is refused inline; "do not share" removes everything.
    refused = console.post(url(app_x), {"mode": "selected"})
    assert refused.status_code == 400
    assert "Select at least one organization." in refused.content.decode()
    assert console.post(url(app_x), {"mode": "none"}).status_code == 302
    assert not SharedApplication.objects.filter(application=app_x.application).exists()


def test_viewer_cannot_change_sharing(tree, app_x, make_user, signed_in):
    viewer = signed_in(make_user(tree.root, "viewer", ["internal_application_mgt_view"]))
    assert viewer.get(url(app_x)).status_code == 200
    assert viewer.post(url(app_x), {"mode": "all", "role_mode": "ALL", "future": "1"}).status_code == 403
    assert not SharedApplication.objects.exists()
