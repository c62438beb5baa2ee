"""Lockout (count, exponential lock time, admin unlock, audit), password policy, Console pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.authn.models import AuthSession, PasswordHistory
from apps.authn.services.sequences import sequence_for
from apps.authn.services.settings import login_settings_for, login_settings_update
from apps.core.errors import InvalidInput
from apps.core.models import AuditLog, OutboxEvent
from apps.users.models import User
from apps.users.services import user_set_password
from tests.authn.conftest import LOGIN, PASSWORD, sign_in_password

pytestmark = pytest.mark.django_db


def fail(times: int, username: str = "alice") -> None:
    for _attempt in range(times):
        assert sign_in_password(Client(), LOGIN, username=username, password="wrong-pass-9").status_code == 400


def test_settings_default_without_a_row_and_validate(root_org):
    defaults = login_settings_for(root_org)
    assert defaults.pk is None
    assert defaults.lockout_max_failures == 5
    with pytest.raises(InvalidInput):
        login_settings_update(actor=None, organization=root_org, lockout_max_failures=0)
    with pytest.raises(InvalidInput):
        login_settings_update(actor=None, organization=root_org, nonsense=1)


def test_n_failures_lock_exponentially_and_admin_unlock_is_audited(root_org, alice, admin_user, console_client):
    login_settings_update(actor=None, organization=root_org, lockout_max_failures=3, lockout_minutes=10)
    fail(2)
    assert User.objects.get(pk=alice.pk).state == User.State.ACTIVE
    fail(1)
    alice.refresh_from_db()
    assert alice.state == User.State.LOCKED
    first_lock = alice.locked_until - timezone.now()
    assert timedelta(minutes=9) < first_lock <= timedelta(minutes=10)
    # locked: even the right password is refused with the same message
    locked = sign_in_password(Client(), LOGIN)
    assert locked.status_code == 400
    assert "Incorrect username or password." in locked.content.decode()
    # the lock runs out; three more failures lock twice as long
    User.objects.filter(pk=alice.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    fail(3)
    alice.refresh_from_db()
    assert timedelta(minutes=19) < alice.locked_until - timezone.now() <= timedelta(minutes=20)
    # the administrator unlocks from the Console
    response = console_client.post(f"/console/users/{alice.pk}/state/", {"action": "unlock"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.state == User.State.ACTIVE
    assert sign_in_password(Client(), LOGIN).status_code == 302
    actions = list(
        AuditLog.objects.filter(target_id=str(alice.pk)).order_by("created").values_list("action", flat=True)
    )
    assert actions.count("authentication.step_failed") == 7
    assert actions.count("account.locked") == 2
    assert "account.unlocked" in actions
    assert "user.state.locked" in actions
    assert "authentication.succeeded" in actions
    assert OutboxEvent.objects.filter(event_type="account.locked").count() == 2


def test_lockout_can_be_switched_off(root_org, alice):
    login_settings_update(actor=None, organization=root_org, lockout_enabled=False, lockout_max_failures=2)
    fail(4)
    assert User.objects.get(pk=alice.pk).state == User.State.ACTIVE


def test_password_policy_length_classes_and_history(root_org, alice):
    login_settings_update(
        actor=None,
        organization=root_org,
        password_min_length=10,
        password_min_upper=1,
        password_min_digits=2,
        password_min_special=1,
        password_history_count=2,
    )
    with pytest.raises(InvalidInput) as short:
        user_set_password(actor=None, user=alice, password="Abcdef1!x")
    assert "at least 10 characters" in short.value.message
    with pytest.raises(InvalidInput) as classes:
        user_set_password(actor=None, user=alice, password="abcdefghijk1")
    assert "uppercase" in classes.value.message
    assert "digits" in classes.value.message
    user_set_password(actor=None, user=alice, password="Newpass-12!x")
    with pytest.raises(InvalidInput):  # the current password
        user_set_password(actor=None, user=alice, password="Newpass-12!x")
    with pytest.raises(InvalidInput):  # the one before
        user_set_password(actor=None, user=alice, password=PASSWORD)
    user_set_password(actor=None, user=alice, password="Third-pass-34!")
    user_set_password(actor=None, user=alice, password="Fourth-pass-56!")
    user_set_password(actor=None, user=alice, password="Newpass-12!x")  # three back: allowed again


def test_expired_password_must_be_changed_after_the_first_step(root_org, alice):
    login_settings_update(actor=None, organization=root_org, password_expiry_days=30)
    PasswordHistory.objects.create(user=alice, password_hash="x", created=timezone.now() - timedelta(days=31))
    browser = Client()
    step = sign_in_password(browser, LOGIN)
    assert step["Location"] == LOGIN
    page = browser.get(LOGIN).content.decode()
    assert "Your password has expired" in page
    assert browser.get("/myaccount/").status_code == 302  # not signed in yet
    import re

    flow = re.search(r'name="flow" value="([^"]+)"', page).group(1)
    mismatch = browser.post(LOGIN, {"flow": flow, "password": "Brand-new-77", "password_again": "Other-77"})
    assert mismatch.status_code == 400
    done = browser.post(LOGIN, {"flow": flow, "password": "Brand-new-77", "password_again": "Brand-new-77"})
    assert done["Location"] == "/myaccount/"
    assert browser.get("/myaccount/").status_code == 200
    assert sign_in_password(Client(), LOGIN, password="Brand-new-77").status_code == 302


@pytest.fixture
def console_client(admin_user):
    browser = Client()
    assert sign_in_password(browser, LOGIN, username="admin", password="Admin-pass-123").status_code == 302
    return browser


def test_console_login_settings_page_saves(root_org, console_client):
    page = console_client.get("/console/login-settings/")
    assert page.status_code == 200
    assert "Login &amp; registration" in page.content.decode()
    data = {name: getattr(login_settings_for(root_org), name) for name in ("lockout_max_failures", "lockout_minutes")}
    form = {
        **data,
        "lockout_enabled": "on",
        "lockout_factor": 3,
        "password_min_length": 12,
        "password_max_length": 64,
        "password_min_upper": 0,
        "password_min_lower": 0,
        "password_min_digits": 0,
        "password_min_special": 0,
        "password_history_count": 0,
        "password_expiry_days": 0,
        "session_hours": 8,
        "remember_me_days": 14,
    }
    assert console_client.post("/console/login-settings/", form).status_code == 302
    assert login_settings_for(root_org).password_min_length == 12
    assert login_settings_for(root_org).lockout_factor == 3
    bad = console_client.post(
        "/console/login-settings/", {**form, "password_min_length": 100, "password_max_length": 20}
    )
    assert bad.status_code == 400


def test_console_sign_in_method_edits_the_sequence(app_a, console_client):
    url = f"/console/applications/{app_a.application.uuid}/sign-in-method/"
    assert console_client.get(url).status_code == 200
    response = console_client.post(url, {"step_1": ["basic"], "step_2": ["totp", "email_otp"]})
    assert response.status_code == 302
    assert sequence_for(app_a.application.pk) == [["basic"], ["totp", "email_otp"]]
    refused = console_client.post(url, {"step_1": ["totp"]})  # a first step must identify the user
    assert refused.status_code == 400
    assert sequence_for(app_a.application.pk) == [["basic"], ["totp", "email_otp"]]


def test_console_lists_and_revokes_a_users_sessions(alice, console_client):
    alice_browser = Client(HTTP_USER_AGENT="AliceBrowser")
    sign_in_password(alice_browser, LOGIN)
    page = console_client.get(f"/console/users/{alice.pk}/sessions/").content.decode()
    assert "AliceBrowser" in page
    row = AuthSession.objects.get(user=alice)
    response = console_client.post(f"/console/users/{alice.pk}/sessions/{row.pk}/revoke/")
    assert response.status_code == 302
    assert alice_browser.get("/myaccount/").status_code == 302
    assert AuditLog.objects.filter(action="session.revoked", actor_name="admin").exists()


def test_console_pages_need_permissions(alice, make_user, root_org):
    browser = Client()
    sign_in_password(browser, LOGIN)
    assert browser.get("/console/login-settings/").status_code == 403
    assert browser.get(f"/console/users/{alice.pk}/sessions/").status_code == 403


LOCK = "/api/server/v1/identity-governance/TG9naW4gUG9saWNpZXM/connectors/YWNjb3VudC5sb2NrLmhhbmRsZXI"


def test_governance_api_reads_and_patches_the_lockout_connector(root_org, admin_api):
    listing = admin_api.get("/api/server/v1/identity-governance")
    assert listing.status_code == 200
    assert listing.json()[0]["name"] == "Login Policies"
    body = admin_api.get(LOCK).json()
    values = {item["name"]: item["value"] for item in body["properties"]}
    assert values["account.lock.handler.On.Failure.Max.Attempts"] == "5"
    patch = {
        "operation": "UPDATE",
        "properties": [{"name": "account.lock.handler.On.Failure.Max.Attempts", "value": "7"}],
    }
    assert admin_api.patch(LOCK, patch, format="json").status_code == 200
    assert login_settings_for(root_org).lockout_max_failures == 7
    bad = {"operation": "UPDATE", "properties": [{"name": "account.lock.handler.Time", "value": "0"}]}
    refused = admin_api.patch(LOCK, bad, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "ALS-60002"
    unknown = {"operation": "UPDATE", "properties": [{"name": "nope", "value": "1"}]}
    assert admin_api.patch(LOCK, unknown, format="json").json()["code"] == "IDG-60001"
    assert admin_api.get(LOCK.replace("YWNj", "ZZZZ")).status_code == 404


def test_governance_api_needs_a_token(root_org, api_client):
    assert api_client.get(LOCK).status_code == 401
