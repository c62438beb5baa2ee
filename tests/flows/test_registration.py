"""Self-registration through the execution API with the shipped default flow: username + password,
then the emailed code; the account appears in SCIM; the error codes of the issue."""

from __future__ import annotations

import time
import uuid

import pytest

from apps.authn.services.lockout import password_authenticate
from apps.flows.models import FlowExecutionContext
from apps.flows.services import flow_assertion_consume, flow_config_update
from apps.users.models import User
from tests.flows.conftest import STRONG_PASSWORD, C, action_ids, last_code, messages_of, smtp_code

pytestmark = pytest.mark.django_db


def _basic(execute, username="newbie", email="newbie@example.org", password=STRONG_PASSWORD):
    first = execute.start("REGISTRATION")
    response = execute.submit(
        first,
        "registration-continue",
        {C + "username": username, C + "emailaddress": email, "password": password},
    )
    return first, response


def test_registration_end_to_end_over_smtp_and_visible_in_scim(
    flows_enabled, execute, smtp_sender, run_commits, admin_api
):
    first = execute.start("REGISTRATION")
    assert first["flowStatus"] == "INCOMPLETE"
    assert first["type"] == "VIEW"
    assert "registration-continue" in action_ids(first)
    assert set(first["data"]["requiredParams"]) == {C + "username", C + "emailaddress", "password"}

    with run_commits():
        step2 = execute.submit(
            first,
            "registration-continue",
            {C + "username": "newbie", C + "emailaddress": "newbie@example.org", "password": STRONG_PASSWORD},
        )
    assert step2.status_code == 200, step2.json()
    assert "registration-verify" in action_ids(step2.json())
    assert messages_of(step2.json(), "INFO") == ["We sent a code to n*****@example.org."]
    code = smtp_code(smtp_sender, "newbie@example.org")

    done = execute.submit(step2.json(), "registration-verify", {"otp": code})
    assert done.status_code == 200, done.json()
    assert done.json()["flowStatus"] == "COMPLETE"

    user = User.objects.get(organization=flows_enabled, username="newbie")
    assert user.email == "newbie@example.org"
    assert user.attributes.get("emailVerified") is True
    assert password_authenticate(organization=flows_enabled, username="newbie", password=STRONG_PASSWORD).ok
    scim = admin_api.get("/scim2/Users", {"filter": 'userName eq "newbie"'})
    assert scim.status_code == 200
    assert scim.json()["totalResults"] == 1
    # The context keeps no password: only a hash, and that sealed.
    ctx = FlowExecutionContext.objects.get(pk=first["flowId"])
    assert STRONG_PASSWORD not in ctx.sealed
    assert STRONG_PASSWORD not in str(ctx.state)


def test_unknown_or_expired_flow_id_is_fe_60001(flows_enabled, execute):
    response = execute.call({"flowId": str(uuid.uuid4()), "actionId": "registration-continue", "inputs": {}})
    assert response.status_code == 400
    assert response.json()["code"] == "FE-60001"
    assert execute.call({"flowId": "not-a-uuid", "actionId": "x"}).json()["code"] == "FE-60001"

    first = execute.start("REGISTRATION")
    FlowExecutionContext.objects.filter(pk=first["flowId"]).update(expires_at="2000-01-01T00:00:00Z")
    expired = execute.submit(first, "registration-continue", {C + "username": "x"})
    assert expired.status_code == 400
    assert expired.json()["code"] == "FE-60001"


def test_action_not_on_current_step_is_fe_60009(flows_enabled, execute):
    first = execute.start("REGISTRATION")
    response = execute.submit(first, "registration-verify", {"otp": "123456"})
    assert response.status_code == 400
    assert response.json()["code"] == "FE-60009"


def test_missing_required_input_is_fe_60008(flows_enabled, execute):
    first = execute.start("REGISTRATION")
    response = execute.submit(first, "registration-continue", {C + "username": "someone"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "FE-60008"
    assert "password" in body["description"]
    assert C + "emailaddress" in body["description"]
    # The flow is still usable after a client error.
    ok = execute.submit(
        first,
        "registration-continue",
        {C + "username": "someone", C + "emailaddress": "s@example.org", "password": STRONG_PASSWORD},
    )
    assert ok.status_code == 200


def test_invalid_value_re_renders_the_view_with_a_field_message(flows_enabled, execute):
    first, response = _basic(execute, email="not-an-email")
    assert response.status_code == 200
    body = response.json()
    assert "registration-continue" in action_ids(body)  # still the first view
    errors = [m for m in body["data"]["messages"] if m["type"] == "ERROR"]
    assert any(m.get("identifier") == C + "emailaddress" for m in errors)

    weak = execute.submit(
        first,
        "registration-continue",
        {C + "username": "u1", C + "emailaddress": "u1@example.org", "password": "short"},
    )
    assert any(m.get("identifier") == "password" for m in weak.json()["data"]["messages"])


def test_username_taken_is_fe_60003(flows_enabled, execute, make_user):
    make_user(flows_enabled, "taken")
    _first, response = _basic(execute, username="Taken")
    assert response.status_code == 400
    assert response.json()["code"] == "FE-60003"


def test_wrong_otp_re_renders_with_remaining_attempts_then_locks(flows_enabled, execute):
    _first, step2 = _basic(execute)
    code = last_code("newbie@example.org")
    wrong = "000000" if code != "000000" else "111111"
    attempt = execute.submit(step2.json(), "registration-verify", {"otp": wrong})
    assert attempt.status_code == 200
    assert attempt.json()["data"]["additionalData"]["attemptsRemaining"] == 4
    assert messages_of(attempt.json(), "ERROR") == ["The code is wrong. 4 attempts left."]
    for _ in range(4):
        attempt = execute.submit(step2.json(), "registration-verify", {"otp": wrong})
    assert messages_of(attempt.json(), "ERROR") == ["Too many wrong codes. Request a new code."]
    # Even the right code no longer works; a new one does.
    assert execute.submit(step2.json(), "registration-verify", {"otp": code}).json()["flowStatus"] == "INCOMPLETE"
    assert not User.objects.filter(username="newbie").exists()


def test_resend_sends_a_new_code_after_the_cool_down(flows_enabled, execute):
    from apps.notifications.services import notification_settings_update

    notification_settings_update(actor=None, organization=flows_enabled, otp_resend_cooldown_seconds=0)
    _first, step2 = _basic(execute)
    old = last_code("newbie@example.org")
    resent = execute.submit(step2.json(), "registration-resend")
    assert resent.status_code == 200, resent.json()
    new = last_code("newbie@example.org")
    done = execute.submit(step2.json(), "registration-verify", {"otp": new})
    assert done.json()["flowStatus"] == "COMPLETE" or old == new


def test_double_submit_of_the_last_step_creates_one_user(flows_enabled, execute):
    _first, step2 = _basic(execute)
    code = last_code("newbie@example.org")
    one = execute.submit(step2.json(), "registration-verify", {"otp": code})
    two = execute.submit(step2.json(), "registration-verify", {"otp": code})
    assert one.status_code == two.status_code == 200
    assert one.json()["flowStatus"] == two.json()["flowStatus"] == "COMPLETE"
    assert User.objects.filter(username="newbie").count() == 1
    # A double submit of the first step answers with the view it led to, not FE-60009.
    _f, again = _basic(execute, username="other", email="o@example.org")
    repeat = execute.call(
        {
            "flowId": again.json()["flowId"],
            "actionId": "registration-continue",
            "inputs": {C + "username": "other", C + "emailaddress": "o@example.org", "password": STRONG_PASSWORD},
        }
    )
    assert repeat.status_code == 200
    assert "registration-verify" in action_ids(repeat.json())


def test_auto_login_assertion_is_short_lived_and_single_use(flows_enabled, execute):
    import base64
    import json

    flow_config_update(
        actor=None,
        organization=flows_enabled,
        data={"flowType": "REGISTRATION", "flowCompletionConfigs": {"isAutoLoginEnabled": "true"}},
    )
    _first, step2 = _basic(execute)
    done = execute.submit(step2.json(), "registration-verify", {"otp": last_code("newbie@example.org")}).json()
    assertion = done["data"]["additionalData"]["userAssertion"]
    claims = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] <= 5
    assert claims["amr"] == ["basic", "email_otp"]
    user = flow_assertion_consume(flows_enabled, assertion)
    assert user is not None
    assert user.username == "newbie"
    assert user.flow_authenticators == ["basic", "email_otp"]
    assert flow_assertion_consume(flows_enabled, assertion) is None  # used up
    assert claims["exp"] >= int(time.time()) - 5


def test_disabled_flow_cannot_start(root_org, execute):
    response = execute.call({"flowType": "REGISTRATION"})
    assert response.status_code == 400
    assert response.json()["code"] == "FE-60006"


def test_continuation_without_flow_id_is_fe_60004(flows_enabled, execute):
    response = execute.call({"actionId": "x", "inputs": {}})
    assert response.status_code == 400
    assert response.json()["code"] == "FE-60004"
