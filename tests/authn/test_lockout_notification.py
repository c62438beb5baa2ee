"""Lockout acceptance: N failures lock the account and the user is emailed (template ``account_locked``,
through the notifications service to a loopback SMTP server), the administrator unlocks it, and the
audit log and the outbox show each step."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from django.test import Client

from apps.authn.services.settings import login_settings_update
from apps.core.models import AuditLog, OutboxEvent
from apps.notifications.delivery import message_deliver
from apps.notifications.models import EmailSender, Message
from apps.notifications.services import email_sender_save
from apps.notifications.tasks import notification_deliver
from apps.users.models import User
from tests.authn.conftest import LOGIN, sign_in_password
from tests.notifications.servers import SmtpServer, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(None).start()  # plain SMTP on loopback, no authentication
    yield server
    server.stop()


@pytest.fixture
def mail_provider(root_org, admin_user, smtp) -> EmailSender:
    return email_sender_save(
        actor=admin_user,
        organization=root_org,
        host="127.0.0.1",
        port=smtp.port,
        security="none",
        from_address="no-reply@root.example",
        auth_type="NONE",
    )


@pytest.fixture
def console(admin_user) -> Client:
    browser = Client()
    assert sign_in_password(browser, LOGIN, username="admin", password="Admin-pass-123").status_code == 302
    return browser


@pytest.fixture(autouse=True)
def _no_broker() -> Iterator[None]:
    # The worker's send task is run by hand below (``message_deliver`` is its body).
    with mock.patch.object(notification_deliver, "apply_async"), mock.patch.object(notification_deliver, "delay"):
        yield


def fail(times: int) -> None:
    for _attempt in range(times):
        assert sign_in_password(Client(), LOGIN, password="wrong-pass-9").status_code == 400


def test_n_failures_lock_email_the_user_and_the_admin_unlock_is_audited(
    root_org, alice, admin_user, mail_provider, smtp, console
):
    login_settings_update(actor=admin_user, organization=root_org, lockout_max_failures=3, lockout_minutes=15)
    fail(2)
    assert not Message.objects.filter(template_type="account_locked").exists()
    fail(1)
    alice.refresh_from_db()
    assert alice.state == User.State.LOCKED

    (message,) = Message.objects.filter(template_type="account_locked")
    assert message.recipient == "alice@example.org"
    assert message_deliver(str(message.pk)) == Message.Status.SENT
    (mime,) = smtp.handler.messages
    assert mime["To"] == "alice@example.org"
    assert mime["Subject"] == "Your Root account is locked"
    body = text_of(mime)
    assert "locked after too many failed sign-in attempts" in body
    assert "in 15 minutes" in body

    # the right password does not help while locked, and says nothing more than a wrong one
    locked = sign_in_password(Client(), LOGIN)
    assert locked.status_code == 400
    assert "Incorrect username or password." in locked.content.decode()

    assert console.post(f"/console/users/{alice.pk}/state/", {"action": "unlock"}).status_code == 302
    alice.refresh_from_db()
    assert alice.state == User.State.ACTIVE
    assert sign_in_password(Client(), LOGIN).status_code == 302

    steps = list(
        AuditLog.objects.filter(target_id=str(alice.pk))
        .order_by("created", "id")
        .values_list("action", "actor_name", "data")
    )
    actions = [action for action, _actor, _data in steps]
    wanted = [
        "authentication.step_failed",
        "authentication.step_failed",
        "account.locked",  # recorded by the third failure itself ...
        "authentication.step_failed",  # ... whose reason is then "locked"
        "authentication.step_failed",  # the right password while locked
        "account.unlocked",
        "authentication.succeeded",
    ]
    assert [action for action in actions if action in set(wanted)] == wanted
    assert actions.index("user.state.locked") < actions.index("account.locked")
    by_action = {action: (actor, data) for action, actor, data in steps}
    assert by_action["account.locked"][0] == "alice"  # the system acted on alice's account; no admin
    assert by_action["account.locked"][1]["lockMinutes"] == 15
    assert by_action["account.locked"][1]["notified"] is True
    assert by_action["account.unlocked"][0] == "admin"
    reasons = [data.get("reason") for action, _actor, data in steps if action == "authentication.step_failed"]
    assert reasons == ["wrong_password", "wrong_password", "locked", "locked"]
    for event_type in ("authentication.step_failed", "account.locked", "account.unlocked"):
        assert OutboxEvent.objects.filter(event_type=event_type, payload__userId=str(alice.pk)).exists()
    unlocked = OutboxEvent.objects.get(event_type="account.unlocked")
    assert unlocked.payload["actorId"] == str(admin_user.pk)


def test_no_email_when_the_organization_turned_notification_off(root_org, alice, admin_user, mail_provider):
    login_settings_update(actor=admin_user, organization=root_org, lockout_max_failures=2, notify_on_lock=False)
    fail(2)
    assert User.objects.get(pk=alice.pk).state == User.State.LOCKED
    assert not Message.objects.filter(template_type="account_locked").exists()
    locked = AuditLog.objects.get(action="account.locked")
    assert locked.data["notified"] is False


def test_a_user_without_an_address_is_still_locked(root_org, make_user, admin_user):
    make_user(root_org, "noemail")
    login_settings_update(actor=admin_user, organization=root_org, lockout_max_failures=2)
    for _attempt in range(2):
        response = sign_in_password(Client(), LOGIN, username="noemail", password="wrong-pass-9")
        assert response.status_code == 400
    assert User.objects.get(username="noemail").state == User.State.LOCKED
    assert not Message.objects.filter(template_type="account_locked").exists()
