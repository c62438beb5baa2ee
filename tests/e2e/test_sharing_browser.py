"""In a real browser: the administrator shares an application from its "Shared access" tab, first with
a common set of roles for every organization, then with different roles per organization."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser_fixtures import E2E_ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def _setup() -> Any:
    from apps.applications.services import application_create
    from apps.orgs.models import Organization
    from apps.orgs.services import organization_create
    from apps.users.services import role_create

    root = Organization.objects.get(parent__isnull=True)
    alpha = organization_create(actor=None, parent=root, name="Alpha", handle="alpha")
    organization_create(actor=None, parent=alpha, name="Alpha One", handle="alpha-one")
    organization_create(actor=None, parent=root, name="Beta", handle="beta")
    app, _secret = application_create(
        actor=None,
        organization=root,
        template_id="oidc-web-application",
        name="Portal",
        redirect_uris=["https://rp.example.com/callback"],
    )
    for name in ("Viewer", "Editor"):
        role_create(actor=None, organization=root, name=name, audience_application=app)
    return app


def test_shared_access_tab_changes_modes(live_server: Any, bootstrapped: None, page: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    app = _setup()
    page.goto(f"{live_server.url}/console/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(E2E_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/console/applications/{app.uuid}/")
    page.get_by_role("link", name="Shared access").click()
    expect(page.get_by_text("The application is not shared with any organization.")).to_be_visible()

    # Mode (b): a common set of roles with all organizations.
    page.get_by_label("Share with all organizations").check()
    page.get_by_label("Share a common set of roles").check()
    page.locator("#share-all").get_by_label("Viewer").check()
    page.screenshot(path=str(artifacts / "1-common-set-form.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Shared access saved.")
    table = page.locator("#shared-table")
    for handle in ("alpha", "alpha-one", "beta"):
        expect(table.locator(f'tr[data-org="{handle}"] td.roles')).to_have_text("Viewer")
    page.screenshot(path=str(artifacts / "2-common-set-saved.png"), full_page=True)

    # Mode (c): different roles per organization, Alpha with its sub-organizations.
    page.get_by_label("Share with selected organizations, with roles per organization").check()
    alpha = page.locator('.org-share[data-org="alpha"]')
    alpha.get_by_label("Share with Alpha", exact=True).check()
    alpha.get_by_label("Include its sub-organizations (now and later)").check()
    alpha.get_by_label("Editor").check()
    beta = page.locator('.org-share[data-org="beta"]')
    beta.get_by_label("Share with Beta", exact=True).check()
    beta.get_by_label("Share all roles").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Shared access saved.")
    expect(table.locator('tr[data-org="alpha"] td.roles')).to_have_text("Editor")
    expect(table.locator('tr[data-org="alpha-one"] td.roles')).to_have_text("Editor")
    expect(table.locator('tr[data-org="beta"] td.roles')).to_have_text("Editor, Viewer")
    page.screenshot(path=str(artifacts / "3-per-organization-saved.png"), full_page=True)

    # Back to "do not share".
    page.get_by_label("Do not share with any organization").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The application is not shared with any organization.")).to_be_visible()
