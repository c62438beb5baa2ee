"""The Console and My Account in a real browser (htmx, CSP, forms), against a live server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from apps.orgs.models import Organization
from apps.users.models import User
from tests.browser_fixtures import E2E_ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def _nav(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=name, exact=True)


def _sign_in(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(E2E_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_console_admin_creates_org_and_user_then_finds_them(
    live_server: Any, bootstrapped: None, page: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _sign_in(page, f"{live_server.url}/console/")
    expect(page).to_have_url(f"{live_server.url}/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Root")

    # A sub-organization, through the tree page.
    _nav(page, "Organizations").click()
    page.get_by_role("link", name="New organization").click()
    page.get_by_label("Name").fill("Research Lab")
    page.get_by_label("Handle").fill("research-lab")
    page.get_by_label("Description").fill("Where the experiments live")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text("Organization “Research Lab” created.")
    assert Organization.objects.filter(handle="research-lab", parent__handle="root").exists()

    # A user.
    _nav(page, "Users").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("jdoe")
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_label("Email").fill("jane.doe@example.com")
    page.get_by_label("Initial password").fill("Jane-pass-1234")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text("User “jdoe” created.")
    assert User.objects.filter(username="jdoe", organization__handle="root").exists()

    # Live search: htmx swaps the results table and pushes the URL.
    _nav(page, "Users").click()
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)  # admin and jdoe
    page.get_by_role("searchbox", name="Search users").fill("jane")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("jdoe")
    expect(rows.first).to_contain_text("jane.doe@example.com")
    expect(page).to_have_url(re.compile(r"/console/users/\?q=jane"))

    page.screenshot(path=str(artifacts / "console.png"), full_page=True)

    # The organization switcher leads into the new sub-organization's Console.
    page.locator("details.switcher summary").click()
    page.get_by_role("link", name="Research Lab").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Research Lab")
    assert "/t/root/o/" in page.url


def test_console_inline_error_without_javascript_round_trip(
    live_server: Any, bootstrapped: None, page: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _sign_in(page, f"{live_server.url}/console/users/new/")
    page.get_by_label("Username").fill("Admin")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#id_username_error")).to_have_text("A user with this username already exists.")
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Username").fill("someone")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#id_email_error")).to_have_text("Enter a valid email address.")
    expect(page.locator("#id_username_error")).to_have_count(0)
    page.screenshot(path=str(artifacts / "console-errors.png"), full_page=True)


def test_my_account_login_and_edit_profile(live_server: Any, bootstrapped: None, page: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    _sign_in(page, f"{live_server.url}/myaccount/")
    expect(page).to_have_url(f"{live_server.url}/myaccount/")
    page.get_by_role("link", name="Edit profile").click()
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Mobile").fill("+44 20 7946 0000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Your profile was saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Lovelace")
    # the new address waits for verification, and My Account says so
    expect(page.locator("#email-verification-banner")).to_contain_text("ada@example.com")
    admin = User.objects.get(username="admin", organization__handle="root")
    assert (admin.given_name, admin.attributes["pendingEmail"]) == ("Ada", "ada@example.com")
    page.screenshot(path=str(artifacts / "myaccount.png"), full_page=True)


def test_console_works_without_javascript(live_server: Any, bootstrapped: None, browser: Any, artifacts: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _sign_in(page, f"{live_server.url}/console/users/")
        page.get_by_role("searchbox", name="Search users").fill("adm")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"/console/users/\?q=adm"))
        expect(page.locator("#results tbody tr")).to_have_count(1)
        # The organization switcher and user menu are <details>: they open without scripts.
        page.locator("details.user-menu summary").click()
        page.get_by_role("button", name="Sign out").click()
        # signed out of the SSO session: the Console's login sends the browser to the login portal
        expect(page).to_have_url(f"{live_server.url}/authenticationendpoint/login?next=%2Fconsole%2F")
        page.screenshot(path=str(artifacts / "console-no-js.png"))
    finally:
        context.close()
