"""The Console user list filtered by each pending account state, in a real browser (the htmx
filter select swaps the results); a screenshot per filter, then a bulk resend from the list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apps.notifications.models import Message
from apps.orgs.models import Organization
from apps.users.models import User
from tests.browser_fixtures import E2E_ADMIN_PASSWORD

pytestmark = pytest.mark.browser

FILTERS = [
    ("Pending password reset", "rita"),
    ("Pending initial password setup", "ivan"),
    ("Pending email verification", "vera"),
    ("Pending mobile verification", "mona"),
    ("Locked", "lars"),
    ("Disabled", "dora"),
]


def _population() -> None:
    from apps.notifications.services import notification_settings_update
    from apps.notifications.services.lifecycle import password_reset_force, user_invite
    from apps.notifications.services.verification import email_verification_start, profile_update_by_owner
    from apps.users.services import user_create, user_set_state

    root = Organization.objects.get(handle="root")
    notification_settings_update(actor=None, organization=root, otp_resend_cooldown_seconds=0)

    def make(name: str) -> User:
        return user_create(
            actor=None,
            organization=root,
            username=name,
            password="Secret-pass-456",
            email=f"{name}@example.org",
            phone="+15550009999",
        )

    password_reset_force(actor=None, user=make("rita"))
    user_invite(actor=None, user=make("ivan"), method="email_otp")
    vera = make("vera")
    user_set_state(actor=None, user=vera, state=User.State.PENDING_EMAIL_VERIFICATION)
    email_verification_start(actor=None, user=vera)
    profile_update_by_owner(user=make("mona"), changes={"phone": "+15550001234"})
    user_set_state(actor=None, user=make("lars"), state=User.State.LOCKED)
    user_set_state(actor=None, user=make("dora"), state=User.State.DISABLED)
    make("alma")


def test_console_user_list_filters_by_each_pending_state(
    live_server: Any, bootstrapped: None, page: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    _population()
    page.goto(f"{live_server.url}/console/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(E2E_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/console/users/")
    table = page.locator("#user-table tbody")
    expect(table.get_by_role("row")).to_have_count(8)  # admin and the seven above

    for label, username in FILTERS:
        page.get_by_label("Account state").select_option(label=label)
        expect(table.get_by_role("row")).to_have_count(1)
        expect(table.get_by_role("link", name=username, exact=True)).to_be_visible()
        page.screenshot(path=str(artifacts / f"users-{username}-{label.lower().replace(' ', '-')}.png"))

    # Bulk resend: all users waiting for something, picked from the unfiltered list.
    page.get_by_label("Account state").select_option(label="Any state")
    expect(table.get_by_role("row")).to_have_count(8)
    before = Message.objects.count()
    for name in ("rita", "ivan", "alma"):
        page.get_by_label(f"Select {name}").check()
    page.get_by_role("button", name="Resend code or link to selected").click()
    expect(page.get_by_role("status").first).to_contain_text("Sent again to 2 users.")
    page.screenshot(path=str(artifacts / "users-bulk-resend.png"))
    assert Message.objects.count() == before + 2
