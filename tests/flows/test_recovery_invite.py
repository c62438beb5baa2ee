"""Password recovery by email OTP and invited-user registration through the execution API."""

from __future__ import annotations

import pytest

from apps.authn.services.lockout import password_authenticate
from apps.core.models import AuditLog, OutboxEvent
from apps.flows.services import flow_start_url
from apps.notifications.models import Message
from apps.notifications.services import link_issue
from apps.users.models import User
from apps.users.services import user_create, user_set_state
from tests.conftest import USER_PASSWORD
from tests.flows.conftest import STRONG_PASSWORD, C, action_ids, last_code, messages_of

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Brand-new-Passw0rd!"


@pytest.fixture
def alice(flows_enabled, make_user):
    return make_user(flows_enabled, "alice", email="alice@example.org")


def test_recovery_by_email_otp_sets_the_password_and_the_old_one_stops_working(flows_enabled, alice, execute):
    assert password_authenticate(organization=flows_enabled, username="alice", password=USER_PASSWORD).ok
    first = execute.start("PASSWORD_RECOVERY")
    code_view = execute.submit(first, "recovery-continue", {C + "username": "alice@example.org"}).json()
    assert "recovery-verify" in action_ids(code_view)
    password_view = execute.submit(code_view, "recovery-verify", {"otp": last_code("alice@example.org")}).json()
    assert "recovery-reset" in action_ids(password_view)
    done = execute.submit(password_view, "recovery-reset", {"password": NEW_PASSWORD}).json()
    assert done["flowStatus"] == "COMPLETE"

    assert not password_authenticate(organization=flows_enabled, username="alice", password=USER_PASSWORD).ok
    assert password_authenticate(organization=flows_enabled, username="alice", password=NEW_PASSWORD).ok
    event = OutboxEvent.objects.filter(event_type="user.password_updated", payload__id=str(alice.pk)).get()
    assert event.payload["action"] == "RESET"
    assert event.payload["initiatorType"] == "USER"
    assert AuditLog.objects.filter(action="user.password.reset", target_id=str(alice.pk)).exists()


def test_recovery_does_not_reveal_whether_the_identifier_exists(flows_enabled, alice, execute):
    known = execute.submit(execute.start("PASSWORD_RECOVERY"), "recovery-continue", {C + "username": "alice"}).json()
    before = Message.objects.count()
    unknown = execute.submit(execute.start("PASSWORD_RECOVERY"), "recovery-continue", {C + "username": "nobody"}).json()
    assert Message.objects.count() == before  # nothing sent for the unknown identifier
    assert unknown["data"]["components"] == known["data"]["components"]
    assert messages_of(unknown) == messages_of(known)
    assert "alice" not in str(known)
    assert "a****" not in str(known)
    wrong = execute.submit(unknown, "recovery-verify", {"otp": "123456"}).json()
    assert messages_of(wrong, "ERROR") == ["The code is wrong. 4 attempts left."]


def test_recovery_password_must_pass_the_policy_and_history(flows_enabled, alice, execute):
    first = execute.start("PASSWORD_RECOVERY")
    code_view = execute.submit(first, "recovery-continue", {C + "username": "alice"}).json()
    password_view = execute.submit(code_view, "recovery-verify", {"otp": last_code("alice@example.org")}).json()
    weak = execute.submit(password_view, "recovery-reset", {"password": "abc"}).json()
    assert weak["flowStatus"] == "INCOMPLETE"
    assert any(m.get("identifier") == "password" for m in weak["data"]["messages"])


def _invited(organization, username="invitee"):
    user = user_create(actor=None, organization=organization, username=username, email=f"{username}@example.org")
    user_set_state(actor=None, user=user, state=User.State.PENDING_ASK_PASSWORD)
    return user, link_issue(user=user, purpose="ask_password")


def test_invited_user_sets_a_password_from_the_link(flows_enabled, execute):
    user, token = _invited(flows_enabled)
    assert flow_start_url(flows_enabled, "INVITED_USER_REGISTRATION", confirmation_code=token).endswith(
        f"/t/root/accountrecoveryendpoint/invite?code={token}"
    )
    first = execute.start("INVITED_USER_REGISTRATION", inputs={"confirmationCode": token})
    assert "invite-submit" in action_ids(first)
    done = execute.submit(first, "invite-submit", {"password": STRONG_PASSWORD}).json()
    assert done["flowStatus"] == "COMPLETE"
    user.refresh_from_db()
    assert user.state == User.State.ACTIVE
    assert password_authenticate(organization=flows_enabled, username="invitee", password=STRONG_PASSWORD).ok
    event = OutboxEvent.objects.filter(event_type="user.password_updated", payload__id=str(user.pk)).get()
    assert (event.payload["action"], event.payload["initiatorType"]) == ("INVITE", "ADMIN")


def test_replayed_or_bad_confirmation_code_is_refused(flows_enabled, execute):
    _user, token = _invited(flows_enabled)
    first = execute.start("INVITED_USER_REGISTRATION", inputs={"confirmationCode": token})
    execute.submit(first, "invite-submit", {"password": STRONG_PASSWORD})
    replay = execute.call({"flowType": "INVITED_USER_REGISTRATION", "inputs": {"confirmationCode": token}})
    assert replay.status_code == 400
    assert replay.json()["code"] == "FE-60008"
    assert replay.json()["message"] == "This link has already been used."
    forged = execute.call({"flowType": "INVITED_USER_REGISTRATION", "inputs": {"confirmationCode": "abc"}})
    assert forged.status_code == 400
    assert forged.json()["code"] == "FE-60008"
    missing = execute.call({"flowType": "INVITED_USER_REGISTRATION"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "FE-60008"


def test_invite_link_of_another_tenant_is_refused(flows_enabled, other_tenant, execute):
    _user, token = _invited(other_tenant, "stranger")
    response = execute.call({"flowType": "INVITED_USER_REGISTRATION", "inputs": {"confirmationCode": token}})
    assert response.status_code == 400
    assert response.json()["code"] == "FE-60008"


def test_the_lifecycle_invitation_link_lands_in_the_invite_flow(flows_enabled):
    from apps.notifications.services.lifecycle import ask_password_link

    url = ask_password_link(flows_enabled, "tok.en")
    assert url.endswith("/t/root/accountrecoveryendpoint/invite?code=tok.en")
