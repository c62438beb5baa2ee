"""Every authentication event, triggered through the real feature (portal, My Account, Console), is
written to the audit log and to the event outbox, in the same request, with WSO2's event properties
(tenantDomain, organizationId, userId, userName, userStoreDomain, remoteAddress) and its extras."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from apps.authn.models import AuthSession, PasskeyCredential
from apps.authn.services.sequences import sequence_set
from apps.authn.services.settings import login_settings_update
from apps.authn.services.totp import totp_code, totp_secret
from apps.core.models import AuditLog, OutboxEvent
from tests.authn.conftest import LOGIN, authorize, email_code, flow_id, sign_in_password

pytestmark = pytest.mark.django_db


def recorded(event_type: str, *, user: Any, organization: Any, **extra: Any) -> tuple[AuditLog, OutboxEvent]:
    """The one audit row and the one outbox event of ``event_type`` (the latest), checked against each other."""
    audit = AuditLog.objects.filter(action=event_type).order_by("-created", "-id").first()
    event = OutboxEvent.objects.filter(event_type=event_type).order_by("-created").first()
    assert audit is not None, f"no audit row for {event_type}"
    assert event is not None, f"no outbox event for {event_type}"
    assert audit.request_id
    assert event.request_id == audit.request_id  # written by the same request
    assert audit.organization_id == organization.pk
    assert audit.ip == "127.0.0.1"
    assert audit.target_type == "user"
    assert audit.target_id == (str(user.pk) if user is not None else "")
    payload = event.payload
    assert event.organization_id == organization.pk
    assert payload["tenantDomain"] == "root"
    assert payload["organizationId"] == str(organization.pk)
    assert payload["userId"] == (str(user.pk) if user is not None else "")
    assert payload["userStoreDomain"] == "PRIMARY"
    assert payload["remoteAddress"] == "127.0.0.1"
    if user is not None:
        assert payload["userName"] == user.username
    for key, value in extra.items():
        assert payload[key] == value, (key, payload)
        assert audit.data[key] == value, (key, audit.data)
    return audit, event


def test_sign_in_success(alice, root_org):
    browser = Client()
    assert sign_in_password(browser, LOGIN, remember_me="on").status_code == 302
    session = AuthSession.objects.get(user=alice)
    recorded(
        "authentication.succeeded",
        user=alice,
        organization=root_org,
        methods=["basic"],
        sessionId=str(session.pk),
        rememberMe=True,
    )


def test_wrong_password_is_a_step_failure_with_its_reason(alice, root_org, app_a):
    browser = Client()
    sign_in_password(browser, authorize(browser, app_a)["Location"], password="wrong-pass-1")
    recorded(
        "authentication.step_failed",
        user=alice,
        organization=root_org,
        reason="wrong_password",
        authenticator="basic",
        step=1,
        application=app_a.client_id,
    )


def test_unknown_user_failure_records_the_name_entered_and_no_account(alice, root_org):
    sign_in_password(Client(), LOGIN, username="nobody-here", password="wrong-pass-1")
    _audit, event = recorded(
        "authentication.step_failed", user=None, organization=root_org, reason="unknown_user", userName="nobody-here"
    )
    assert event.payload["userId"] == ""


def test_wrong_second_factor_is_a_step_failure_of_step_two(alice, root_org, app_a):
    sequence_set(actor=None, application=app_a.application, steps=[["basic"], ["email_otp"]])
    browser = Client()
    sign_in_password(browser, authorize(browser, app_a)["Location"])
    page = browser.get(LOGIN)
    good = email_code(alice)
    browser.post(LOGIN, {"flow": flow_id(page), "code": "111111" if good != "111111" else "222222"})
    recorded(
        "authentication.step_failed",
        user=alice,
        organization=root_org,
        reason="otp_invalid",
        authenticator="email_otp",
        step=2,
    )


def test_disabled_account_failure(alice, root_org):
    from apps.users.models import User
    from apps.users.services import user_set_state

    user_set_state(actor=None, user=alice, state=User.State.DISABLED)
    sign_in_password(Client(), LOGIN)
    recorded("authentication.step_failed", user=alice, organization=root_org, reason="disabled")


def test_lockout(alice, root_org):
    login_settings_update(actor=None, organization=root_org, lockout_max_failures=1, lockout_minutes=7)
    sign_in_password(Client(), LOGIN, password="wrong-pass-1")
    recorded("account.locked", user=alice, organization=root_org, lockMinutes=7, lockCount=1)


def test_admin_unlock(alice, root_org, admin_user):
    login_settings_update(actor=None, organization=root_org, lockout_max_failures=1)
    sign_in_password(Client(), LOGIN, password="wrong-pass-1")
    console = Client()
    sign_in_password(console, LOGIN, username="admin", password="Admin-pass-123")
    console.post(f"/console/users/{alice.pk}/state/", {"action": "unlock"})
    audit, event = recorded("account.unlocked", user=alice, organization=root_org)
    assert audit.actor_name == "admin"
    assert event.payload["actorId"] == str(admin_user.pk)


def test_logout(alice, root_org):
    browser = Client()
    sign_in_password(browser, LOGIN)
    session = AuthSession.objects.get(user=alice)
    browser.post("/authenticationendpoint/logout")
    recorded("session.terminated", user=alice, organization=root_org, sessionId=str(session.pk), reason="logout")


def test_session_revoked_from_my_account(alice, root_org):
    laptop, phone = Client(), Client()
    sign_in_password(laptop, LOGIN)
    sign_in_password(phone, LOGIN)
    phone_session = AuthSession.objects.filter(user=alice).order_by("-created").first()
    assert laptop.post(f"/myaccount/sessions/{phone_session.pk}/end/").status_code == 302
    recorded("session.revoked", user=alice, organization=root_org, sessionId=str(phone_session.pk))


def test_totp_enrolled_and_removed_in_my_account(alice, root_org):
    browser = Client()
    sign_in_password(browser, LOGIN)
    assert browser.post("/myaccount/security/totp/begin/").status_code in (200, 302)
    from apps.authn.models import TotpDevice

    device = TotpDevice.objects.get(user=alice)
    code = totp_code(totp_secret(device), int(time.time() // 30))
    assert browser.post("/myaccount/security/totp/confirm/", {"code": code}).status_code in (200, 302)
    recorded("mfa.enrolled", user=alice, organization=root_org, authenticator="totp")
    assert browser.post("/myaccount/security/totp/delete/").status_code in (200, 302)
    recorded("mfa.removed", user=alice, organization=root_org, authenticator="totp")


def test_passkey_enrolled_and_removed_in_my_account(alice, root_org):
    """The WebAuthn ceremony itself is covered by the browser test (tests/e2e, virtual authenticator);
    here the verified registration is stubbed so the test is about what gets recorded."""
    from apps.authn.services import passkeys

    browser = Client()
    sign_in_password(browser, LOGIN)
    browser.get("/myaccount/security/")
    session = browser.session
    session[passkeys.REGISTRATION_KEY] = "Y2hhbGxlbmdl"
    session.save()
    verified = mock.Mock(credential_id=b"credential-1", credential_public_key=b"public-key", sign_count=0)
    with mock.patch.object(passkeys, "verify_registration_response", return_value=verified):
        added = browser.post("/myaccount/security/passkeys/add/", {"credential": "{}", "name": "Laptop"})
    assert added.status_code in (200, 302)
    passkey = PasskeyCredential.objects.get(user=alice)
    recorded("mfa.enrolled", user=alice, organization=root_org, authenticator="passkey")
    assert browser.post(f"/myaccount/security/passkeys/{passkey.pk}/delete/").status_code in (200, 302)
    recorded("mfa.removed", user=alice, organization=root_org, authenticator="passkey")
