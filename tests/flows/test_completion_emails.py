"""Completion emails (``isFlowCompletionNotificationEnabled``): after each flow type completes through
the execution API, the user gets the shipped completion email over a real loopback SMTP server."""

from __future__ import annotations

from typing import Any

import pytest

from apps.flows.services import flow_config_update
from apps.notifications.models import Message
from apps.notifications.services import link_issue
from apps.users.models import User
from apps.users.services import user_create, user_set_state
from tests.flows.conftest import STRONG_PASSWORD, C, smtp_code
from tests.notifications.servers import text_of

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Brand-new-Passw0rd!"


def _notify_on_completion(organization: Any, flow_type: str, on: bool = True) -> None:
    flow_config_update(
        actor=None,
        organization=organization,
        data={"flowType": flow_type, "flowCompletionConfigs": {"isFlowCompletionNotificationEnabled": on}},
    )


def _mails_to(server: Any, recipient: str) -> list[tuple[str, str]]:
    return [(mime["Subject"], text_of(mime)) for mime in server.handler.messages if mime["To"] == recipient]


def _register(execute: Any, server: Any, run_commits: Any) -> dict[str, Any]:
    first = execute.start("REGISTRATION")
    with run_commits():
        step2 = execute.submit(
            first,
            "registration-continue",
            {C + "username": "newbie", C + "emailaddress": "newbie@example.org", "password": STRONG_PASSWORD},
        )
    with run_commits():
        done = execute.submit(step2.json(), "registration-verify", {"otp": smtp_code(server, "newbie@example.org")})
    return done.json()


def test_self_registration_sends_the_welcome_email(flows_enabled, execute, smtp_sender, run_commits):
    _notify_on_completion(flows_enabled, "REGISTRATION")
    assert _register(execute, smtp_sender, run_commits)["flowStatus"] == "COMPLETE"
    mails = _mails_to(smtp_sender, "newbie@example.org")
    assert len(mails) == 2  # the code, then the welcome
    subject, body = mails[-1]
    assert subject == "Welcome to Root"
    assert "Your Root account is ready" in body
    assert Message.objects.filter(template_type="self_signup_success", status="sent").count() == 1


def test_no_completion_email_while_the_option_is_off(flows_enabled, execute, smtp_sender, run_commits):
    assert _register(execute, smtp_sender, run_commits)["flowStatus"] == "COMPLETE"
    assert len(_mails_to(smtp_sender, "newbie@example.org")) == 1  # only the code
    assert not Message.objects.filter(template_type="self_signup_success").exists()


def test_password_recovery_sends_the_reset_confirmation(flows_enabled, execute, smtp_sender, run_commits, make_user):
    make_user(flows_enabled, "alice", email="alice@example.org")
    _notify_on_completion(flows_enabled, "PASSWORD_RECOVERY")
    first = execute.start("PASSWORD_RECOVERY")
    with run_commits():
        code_view = execute.submit(first, "recovery-continue", {C + "username": "alice"}).json()
    code = smtp_code(smtp_sender, "alice@example.org")
    password_view = execute.submit(code_view, "recovery-verify", {"otp": code}).json()
    with run_commits():
        done = execute.submit(password_view, "recovery-reset", {"password": NEW_PASSWORD}).json()
    assert done["flowStatus"] == "COMPLETE", done
    subject, body = _mails_to(smtp_sender, "alice@example.org")[-1]
    assert subject == "Your Root password was reset"
    assert "If you did not reset it" in body


def test_invited_user_gets_the_account_ready_email(flows_enabled, execute, smtp_sender, run_commits):
    user = user_create(actor=None, organization=flows_enabled, username="invitee", email="invitee@example.org")
    user_set_state(actor=None, user=user, state=User.State.PENDING_ASK_PASSWORD)
    token = link_issue(user=user, purpose="ask_password")
    _notify_on_completion(flows_enabled, "INVITED_USER_REGISTRATION")
    first = execute.start("INVITED_USER_REGISTRATION", inputs={"confirmationCode": token})
    with run_commits():
        done = execute.submit(first, "invite-submit", {"password": STRONG_PASSWORD}).json()
    assert done["flowStatus"] == "COMPLETE", done
    mails = _mails_to(smtp_sender, "invitee@example.org")
    assert [subject for subject, _body in mails] == ["Your Root account is ready"]
    assert "You chose the password of your Root account" in mails[0][1]


def test_an_edited_completion_template_is_what_the_user_receives(
    flows_enabled, execute, smtp_sender, run_commits, admin_api
):
    listed = {row["type"] for row in admin_api.get("/api/server/v1/notification-templates").json()}
    assert {"self_signup_success", "password_reset_success", "ask_password_success"} <= listed
    edited = admin_api.put(
        "/api/server/v1/notification-templates/self_signup_success/en",
        {"subject": "Hello {{ user_name }}", "body": "Glad you joined {{ organization_name }}."},
        format="json",
    )
    assert edited.status_code in (200, 201), edited.json()
    _notify_on_completion(flows_enabled, "REGISTRATION")
    _register(execute, smtp_sender, run_commits)
    subject, body = _mails_to(smtp_sender, "newbie@example.org")[-1]
    assert subject == "Hello newbie"
    assert "Glad you joined Root." in body
