"""Conditional authentication scripts through the real portal: step decisions, failures that fail closed."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.authn.models import AuthSession, LoginFlow
from apps.authn.scripting.templates import SCRIPT_TEMPLATES
from apps.authn.services.sequences import sequence_set
from apps.core.models import AuditLog, OutboxEvent
from apps.users.services import group_create, role_create
from tests.authn.conftest import LOGIN, authorize, email_code, flow_id, is_code, is_portal, sign_in_password

pytestmark = pytest.mark.django_db

ROLE_MFA = SCRIPT_TEMPLATES["role-based-mfa"].code.replace("'admin', 'manager'", "'admin'")


def scripted(app, script: str, steps=(("basic",), ("email_otp", "totp"))) -> None:
    sequence_set(
        actor=None,
        application=app.application,
        steps=[list(step) for step in steps],
        script=script,
        script_enabled=True,
    )


@pytest.fixture
def bob(root_org, make_user):
    return make_user(root_org, "bob", email="bob@example.org")


@pytest.fixture
def admins(root_org, alice):
    return role_create(actor=None, organization=root_org, name="admin", user_ids=[alice.pk])


def failure_page(response) -> str:
    assert response.status_code == 403, response.status_code
    return response.content.decode()


def test_role_based_mfa_asks_admins_only_for_the_second_step(app_a, alice, bob, admins):
    scripted(app_a, ROLE_MFA)

    admin_browser = Client()
    after_password = sign_in_password(admin_browser, authorize(admin_browser, app_a)["Location"])
    assert after_password["Location"] == LOGIN  # the script asks the admin for step 2
    page = admin_browser.get(LOGIN)
    assert "Step 2 of 2" in page.content.decode()
    finished = admin_browser.post(LOGIN, {"flow": flow_id(page), "code": email_code(alice)})
    assert is_code(admin_browser.get(finished["Location"]))
    assert AuthSession.objects.get(user=alice).methods == ["basic", "email_otp"]

    user_browser = Client()
    done = sign_in_password(user_browser, authorize(user_browser, app_a)["Location"], username="bob")
    assert done["Location"] != LOGIN
    assert is_code(user_browser.get(done["Location"]))  # no second step for a non-admin
    assert AuthSession.objects.get(user=bob).methods == ["basic"]


def test_scripted_application_runs_the_script_again_on_sso(app_a, app_b, alice, admins):
    """SSO into a scripted application goes through the script: an admin signed in with a password only is
    asked for the second step there, and a later SSO sign-in passes without a prompt."""
    browser = Client()
    done = sign_in_password(browser, authorize(browser, app_b)["Location"])
    assert is_code(browser.get(done["Location"]))
    scripted(app_a, ROLE_MFA)
    step_up = authorize(browser, app_a)
    assert is_portal(step_up)
    page = browser.get(step_up["Location"])
    assert "Verify it" in page.content.decode()  # only the second factor: the password is known from SSO
    finished = browser.post(LOGIN, {"flow": flow_id(page), "code": email_code(alice)})
    assert is_code(browser.get(finished["Location"]))
    again = authorize(browser, app_a)
    assert is_portal(again)  # the script runs on every sign-in ...
    assert is_code(browser.get(browser.get(again["Location"])["Location"]))  # ... and needs nothing new


def test_script_throwing_at_runtime_fails_the_login_closed(app_a, alice):
    script = "var onLoginRequest = function (context) {\n  executeStep(1, {onSuccess: function (c) {\n"
    scripted(app_a, script + "    undefinedThing.call();\n  }});\n};")
    browser = Client()
    response = sign_in_password(browser, authorize(browser, app_a)["Location"])
    assert response["Location"] == LOGIN
    text = failure_page(browser.get(LOGIN))
    assert "could not be completed" in text
    assert not AuthSession.objects.filter(user=alice).exists()
    row = AuditLog.objects.get(action="authentication.script_failed")
    assert row.data["reason"] == "error"
    assert "undefinedThing is not defined (line 3)" in row.data["detail"]
    assert OutboxEvent.objects.filter(event_type="authentication.script_failed").exists()
    assert not LoginFlow.objects.exists()  # the failed login is over; starting again starts a new one


def test_infinite_loop_fails_the_login_within_the_time_limit(app_a, alice, settings):
    settings.IAM_SCRIPT_TIMEOUT_MS = 200
    scripted(app_a, "var onLoginRequest = function (context) {\n  while (true) {}\n};")
    browser = Client()
    start = authorize(browser, app_a)
    text = failure_page(browser.get(start["Location"]))
    assert "Contact your administrator" in text
    assert AuditLog.objects.get(action="authentication.script_failed").data["reason"] == "timeout"


def test_memory_bomb_fails_closed(app_a, alice, settings):
    settings.IAM_SCRIPT_TIMEOUT_MS = 5000  # the memory limit must be what stops it
    settings.IAM_SCRIPT_MAX_MEMORY_MB = 16
    bomb = (
        "var onLoginRequest = function (context) {\n"
        "  var a = [];\n  while (true) { a.push(new Array(100000).fill(a.length)); }\n};"
    )
    scripted(app_a, bomb)
    browser = Client()
    text = failure_page(browser.get(authorize(browser, app_a)["Location"]))
    assert "could not be completed" in text
    assert AuditLog.objects.get(action="authentication.script_failed").data["reason"] == "memory"


def test_fail_and_send_error_refuse_with_the_scripts_message(app_a, alice, bob, admins):
    deny = (
        "var onLoginRequest = function (context) {\n"
        "  executeStep(1, {onSuccess: function (context) {\n"
        "    if (!hasAnyOfTheRoles(context.currentKnownSubject, ['admin'])) {\n"
        "      sendError(null, {errorMessage: 'Only administrators may use this application.'});\n"
        "    }\n"
        "  }});\n"
        "};"
    )
    scripted(app_a, deny, steps=(("basic",),))
    browser = Client()
    sign_in_password(browser, authorize(browser, app_a)["Location"], username="bob")
    assert "Only administrators may use this application." in failure_page(browser.get(LOGIN))
    assert not AuthSession.objects.filter(user=bob).exists()
    admin = Client()
    done = sign_in_password(admin, authorize(admin, app_a)["Location"])
    assert is_code(admin.get(done["Location"]))

    scripted(app_a, "var onLoginRequest = function (context) { fail({errorMessage: 'Closed for maintenance.'}); };")
    closed = Client()
    assert "Closed for maintenance." in failure_page(closed.get(authorize(closed, app_a)["Location"]))


def test_group_based_template_and_request_context(app_a, alice, bob, root_org):
    group_create(actor=None, organization=root_org, name="finance", member_ids=[bob.pk])
    script = (
        "var onLoginRequest = function (context) {\n"
        "  Log.info('login from ' + context.request.ip + ' for ' + context.application.name);\n"
        "  executeStep(1, {onSuccess: function (context) {\n"
        "    if (isMemberOfAnyOfGroups(context.steps[1].subject, ['finance'])) { executeStep(2); }\n"
        "  }});\n"
        "};"
    )
    scripted(app_a, script)
    browser = Client()
    assert sign_in_password(browser, authorize(browser, app_a)["Location"], username="bob")["Location"] == LOGIN
    other = Client()
    done = sign_in_password(other, authorize(other, app_a)["Location"])
    assert is_code(other.get(done["Location"]))


def test_disabled_script_is_not_run(app_a, alice):
    sequence_set(
        actor=None,
        application=app_a.application,
        steps=[["basic"]],
        script="var onLoginRequest = function (context) { fail(); };",
        script_enabled=False,
    )
    browser = Client()
    done = sign_in_password(browser, authorize(browser, app_a)["Location"])
    assert is_code(browser.get(done["Location"]))
