"""Acceptance (issue 7): in Chromium, an administrator extends the registration flow in the Console
Flow Builder (a required integer attribute, an email OTP step), publishes it, and a new user signs up
in another browser context, reading the code from a loopback SMTP server; the user then appears in
SCIM with the attribute set. And password recovery from the login page's "Forgot password?" link.

Screenshots land in ``test-results/<test name>/``."""

from __future__ import annotations

import json
import re
import threading
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from tests.browser_fixtures import E2E_ADMIN_PASSWORD
from tests.notifications.servers import free_port

pytestmark = pytest.mark.browser


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []  # (recipient, text)
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content)
        parts = [part.get_payload(decode=True).decode() for part in parsed.walk() if not part.is_multipart()]
        with self.arrived:
            self.messages.append((",".join(envelope.rcpt_tos), "\n".join(parts)))
            self.arrived.notify_all()
        return "250 OK"

    def code_for(self, recipient: str) -> str:
        """The newest six-digit code sent to ``recipient`` (waits for it to arrive)."""
        with self.arrived:
            found = self.arrived.wait_for(lambda: any(to == recipient for to, _text in self.messages), timeout=15)
        assert found, f"no email arrived for {recipient}"
        text = [text for to, text in self.messages if to == recipient][-1]
        return re.search(r"\b([0-9]{6})\b", text).group(1)


@pytest.fixture
def inbox() -> Any:
    from aiosmtpd.controller import Controller

    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def mail_to_inbox(bootstrapped: None, inbox: Any, eager_celery: None) -> _Inbox:
    from apps.notifications.services import email_sender_save
    from apps.orgs.models import Organization

    controller, handler = inbox
    root = Organization.objects.get(handle="root", parent__isnull=True)
    email_sender_save(
        actor=None,
        organization=root,
        host="127.0.0.1",
        port=controller.port,
        security="none",
        from_address="accounts@example.org",
        auth_type="NONE",
    )
    return handler


def _drag(page: Any, source: Any, target: Any, *, where: str = "top") -> None:
    """A real pointer drag (SortableJS runs in fallback mode: mouse events, not HTML5 DnD)."""
    page.wait_for_load_state("networkidle")  # no live validation answer re-rendering mid-drag
    source.scroll_into_view_if_needed()
    start = source.bounding_box()
    page.mouse.move(start["x"] + 20, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 30, start["y"] + start["height"] / 2 + 8, steps=4)
    box = target.bounding_box()
    x = box["x"] + (12 if where == "left" else box["width"] / 2)
    y = box["y"] + (box["height"] / 2 if where == "left" else 8)
    page.mouse.move(x, y, steps=20)
    page.mouse.move(x + 1, y + 2, steps=4)
    page.mouse.up()


def _console_sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/console/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(E2E_ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _nav(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Main navigation").get_by_role("link", name=name, exact=True)


def test_admin_extends_registration_in_the_builder_and_a_new_user_signs_up(
    live_server: Any,
    mail_to_inbox: _Inbox,
    page: Any,
    browser: Any,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    _console_sign_in(page, base)

    # 1. An integer attribute, defined in the Console.
    _nav(page, "Attributes").click()
    page.get_by_role("link", name="New attribute").click()
    page.get_by_label("Attribute name", exact=True).fill("age")
    page.get_by_label("Display name", exact=True).fill("Age")
    page.get_by_label("Data type", exact=True).select_option("integer")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text("Attribute “Age” created.")

    # 2. Flows: switch self-registration on.
    _nav(page, "Flows").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flows")
    card = page.locator("#flow-registration")
    card.get_by_role("switch", name="Enabled").check()
    card.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Self-registration saved (enabled).")
    page.screenshot(path=str(artifacts / "1-flows.png"), full_page=True)

    # 3. The canvas: drop the default's email step, then rebuild it from the palette.
    page.get_by_role("link", name="Open builder").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-registration flow")
    expect(page.locator("#builder-messages")).to_contain_text("The flow is valid.")
    page.get_by_role("button", name="Remove registration-verify-email").click()
    # Live validation names the button that now leads nowhere.
    expect(page.locator("#builder-messages")).to_contain_text("registration-verify-email")
    expect(page.locator(".step-card.has-issue, .comp.has-issue").first).to_be_visible()
    page.screenshot(path=str(artifacts / "2-dangling-next.png"), full_page=True)

    end_card = page.locator('.step-card[data-step-id="END"]')
    _drag(page, page.locator('#palette-widgets [data-palette="EMAIL_OTP"]'), end_card, where="left")
    otp_step = page.locator(".step-card").nth(1)
    expect(otp_step).to_contain_text("Verify your email")
    expect(otp_step).to_contain_text("EmailOTPExecutor")
    expect(page.locator(".step-card").nth(2)).to_have_attribute("data-step-id", "END")
    # the first step's button now leads to the new step
    expect(page.locator('.comp[data-cid="registration-continue"]')).to_contain_text("Verify your email")

    password_field = page.locator('.comp[data-cid="registration-password"]')
    _drag(page, page.locator('#palette-components [data-palette="INPUT:NUMBER"]'), password_field)
    properties = page.locator("#properties")
    expect(properties).to_contain_text("INPUT · NUMBER")
    properties.get_by_label("Attribute").select_option("http://wso2.org/claims/age")
    expect(properties.get_by_label("Label")).to_have_value("Age")
    properties.get_by_label("Required").check()
    first_form = page.locator('.comp[data-cid="registration-form"]')
    expect(first_form).to_contain_text("http://wso2.org/claims/age")
    # fields stay above the form's buttons, wherever in the form they were dropped
    order = first_form.locator(".comp").evaluate_all("items => items.map(item => item.dataset.cid)")
    assert order[-1] == "registration-continue"
    assert len(order) == 5
    expect(page.locator("#builder-messages")).to_contain_text("The flow is valid.")
    page.screenshot(path=str(artifacts / "3-builder-edited.png"), full_page=True)

    # "Try it" runs the draft in the sandbox with the same renderer as the real page.
    page.get_by_role("button", name="Try it").click()
    try_panel = page.locator("#try-panel")
    expect(try_panel.get_by_label("Age")).to_be_visible()
    expect(try_panel.get_by_role("button", name="Continue")).to_be_visible()
    page.screenshot(path=str(artifacts / "4-try-it.png"), full_page=True)

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#builder-status")).to_contain_text("Published as version 1.")
    page.get_by_role("link", name="Versions").click()
    page.get_by_role("link", name="Changes").click()
    expect(page.locator("#flow-diff")).to_contain_text("http://wso2.org/claims/age")
    page.screenshot(path=str(artifacts / "4b-versions-diff.png"), full_page=True)

    # 4. A new user, in another browser context, from the login page.
    visitor_context = browser.new_context(viewport={"width": 1280, "height": 860})
    visitor = visitor_context.new_page()
    visitor.set_default_timeout(10_000)
    visitor.goto(f"{base}/authenticationendpoint/login")
    visitor.get_by_role("link", name="Create account").click()
    expect(visitor.get_by_role("heading", name="Create your account")).to_be_visible()
    visitor.get_by_label("Username").fill("newbie")
    visitor.get_by_label("Email").fill("newbie@example.org")
    visitor.get_by_label("Password").fill("Newbie-pass-1234")
    age = visitor.get_by_label("Age")
    expect(age).to_have_attribute("type", "number")
    expect(age).to_have_attribute("required", "")
    age.fill("42")
    names = visitor.locator(".flow-form input:not([type=hidden])").evaluate_all("els => els.map(el => el.name)")
    assert names[-1] == "http://wso2.org/claims/age"
    visitor.screenshot(path=str(artifacts / "5-register.png"), full_page=True)
    visitor.get_by_role("button", name="Continue").click()

    expect(visitor.get_by_role("heading", name="Verify your email")).to_be_visible()
    expect(visitor.get_by_role("status").first).to_contain_text("We sent a code to")
    code = mail_to_inbox.code_for("newbie@example.org")
    visitor.get_by_label("Verification code").fill("000000" if code != "000000" else "111111")
    visitor.get_by_role("button", name="Verify").click()
    expect(visitor.get_by_role("alert").first).to_be_visible()  # a wrong code: the same view, with a message
    visitor.screenshot(path=str(artifacts / "6-wrong-code.png"), full_page=True)
    visitor.get_by_label("Verification code").fill(code)
    visitor.get_by_role("button", name="Verify").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Your account is ready")
    visitor.screenshot(path=str(artifacts / "7-done.png"), full_page=True)
    visitor_context.close()

    # 5. SCIM shows the user with the typed attribute.
    from rest_framework.test import APIClient

    from apps.applications.services import access_token_issue
    from apps.users.models import User
    from tests.conftest import _application_for

    admin = User.objects.get(username="admin", organization__handle="root")
    token = access_token_issue(
        application=_application_for(admin.organization),
        user=admin,
        scopes=["internal_user_mgt_list", "internal_user_mgt_view"],
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/scim2/Users", {"filter": 'userName eq "newbie"'})
    assert response.status_code == 200, response.content
    resources = response.json()["Resources"]
    assert len(resources) == 1
    assert "newbie@example.org" in json.dumps(resources[0]["emails"])
    assert resources[0]["urn:scim:schemas:extension:custom:User"]["age"] == 42


def test_password_recovery_from_the_login_page(
    live_server: Any,
    mail_to_inbox: _Inbox,
    page: Any,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    from apps.flows.services import flow_config_update
    from apps.orgs.models import Organization
    from apps.users.services import user_create

    root = Organization.objects.get(handle="root", parent__isnull=True)
    user_create(actor=None, organization=root, username="rita", password="Rita-old-pass-1", email="rita@example.org")
    flow_config_update(actor=None, organization=root, data={"flowType": "PASSWORD_RECOVERY", "isEnabled": True})

    base = live_server.url
    page.goto(f"{base}/myaccount/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.screenshot(path=str(artifacts / "1-identify.png"), full_page=True)
    page.get_by_label("Username or email").fill("rita")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.screenshot(path=str(artifacts / "2-code.png"), full_page=True)
    page.get_by_label("Code").fill(mail_to_inbox.code_for("rita@example.org"))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password").fill("Rita-new-pass-2")
    page.screenshot(path=str(artifacts / "3-new-password.png"), full_page=True)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password has been changed")
    page.screenshot(path=str(artifacts / "4-done.png"), full_page=True)

    # "Sign in" goes back to the login page with the same destination; the new password works.
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill("Rita-old-pass-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill("Rita-new-pass-2")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/myaccount/"))
    page.screenshot(path=str(artifacts / "5-signed-in.png"), full_page=True)
