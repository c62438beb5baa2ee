"""In a real browser: an administrator defines a boolean and an options attribute
in the Console, and the user form renders a toggle (role=switch) and a <select>."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apps.users.models import User
from tests.browser_fixtures import E2E_ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def _nav(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=name, exact=True)


def test_boolean_renders_as_toggle_and_options_as_dropdown(
    live_server: Any,
    bootstrapped: None,
    page: Any,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/console/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(E2E_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    _nav(page, "Attributes").click()
    page.get_by_role("link", name="New attribute").click()
    page.get_by_label("Attribute name", exact=True).fill("newsletter")
    page.get_by_label("Display name", exact=True).fill("Newsletter")
    page.get_by_label("Data type", exact=True).select_option("boolean")
    # htmx swaps the input formats that fit a boolean.
    expect(page.locator("#id_input_format option")).to_have_count(2)
    expect(page.locator("#id_input_format")).to_have_value("toggle")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text("Attribute “Newsletter” created.")

    page.get_by_role("link", name="New attribute").click()
    page.get_by_label("Attribute name", exact=True).fill("shirtSize")
    page.get_by_label("Display name", exact=True).fill("Shirt size")
    page.get_by_label("Options", exact=True).fill("S = Small\nM = Medium\nL = Large")
    page.get_by_label("Data type", exact=True).select_option("string")
    expect(page.locator("#id_input_format")).to_have_value("dropdown")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text("Attribute “Shirt size” created.")

    _nav(page, "Users").click()
    page.get_by_role("link", name="New user").click()
    toggle = page.get_by_role("switch", name="Newsletter")
    expect(toggle).to_be_visible()
    dropdown = page.get_by_role("combobox", name="Shirt size")
    expect(dropdown).to_be_visible()
    page.get_by_label("Username").fill("kenji")
    page.get_by_label("First name").fill("健二")
    toggle.check()
    dropdown.select_option("M")
    expect(toggle).to_be_checked()
    page.wait_for_timeout(400)  # let the switch's slide transition finish before the screenshot
    page.screenshot(path=str(artifacts / "user-form-attributes.png"), full_page=True)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text("User “kenji” created.")
    user = User.objects.get(username="kenji")
    assert (user.given_name, user.attributes) == ("健二", {"newsletter": True, "shirtSize": "M"})
