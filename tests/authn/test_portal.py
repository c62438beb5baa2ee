"""The login portal with OAuth: sequences, SSO across applications, step-up, logout, errors."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.authn.models import AuthSession, LoginFlow
from apps.authn.services.sequences import sequence_set
from apps.authn.services.totp import totp_code, totp_enrol_begin, totp_enrol_confirm, totp_secret
from apps.core.models import AuditLog, OutboxEvent
from apps.users.models import User
from apps.users.services import user_set_state
from tests.authn.conftest import (
    LOGIN,
    PASSWORD,
    authorize,
    email_code,
    flow_id,
    is_code,
    is_portal,
    sign_in_password,
)

pytestmark = pytest.mark.django_db


def enrol_totp(user: User) -> bytes:
    device = totp_enrol_begin(user=user)
    secret = totp_secret(device)
    now = time.time() - 60  # enrol with an older step so the login's current code is still fresh
    totp_enrol_confirm(user=user, code=totp_code(secret, int(now // 30)), now=now)
    return secret


def test_basic_sequence_signs_in_and_returns_to_authorize(app_a, alice):
    browser = Client()
    first = authorize(browser, app_a)
    assert is_portal(first)
    done = sign_in_password(browser, first["Location"])
    assert done.status_code == 302
    assert is_code(browser.get(done["Location"]))
    session = AuthSession.objects.get(user=alice)
    assert session.methods == ["basic"]
    assert app_a.client_id in session.clients


def test_sso_second_application_gets_a_code_without_a_prompt(app_a, app_b, alice):
    browser = Client()
    done = sign_in_password(browser, authorize(browser, app_a)["Location"])
    browser.get(done["Location"])
    assert is_code(authorize(browser, app_b))
    assert AuthSession.objects.filter(user=alice).count() == 1


def test_two_step_sequence_with_email_otp(app_a, alice):
    sequence_set(actor=None, application=app_a.application, steps=[["basic"], ["email_otp"]])
    browser = Client()
    done = sign_in_password(browser, authorize(browser, app_a)["Location"])
    assert done["Location"] == LOGIN  # step 2 follows
    page = browser.get(LOGIN)
    assert "Step 2 of 2" in page.content.decode()
    wrong = browser.post(LOGIN, {"flow": flow_id(page), "code": "000000" if email_code(alice) != "000000" else "1"})
    assert wrong.status_code == 400
    assert "That code is not valid." in wrong.content.decode()
    finished = browser.post(LOGIN, {"flow": flow_id(page), "code": email_code(alice)})
    assert finished.status_code == 302
    code_response = browser.get(finished["Location"])
    assert is_code(code_response)
    assert AuthSession.objects.get(user=alice).methods == ["basic", "email_otp"]


def test_any_authenticator_of_a_step_satisfies_it(app_a, alice):
    enrol_totp(alice)
    sequence_set(actor=None, application=app_a.application, steps=[["basic"], ["totp", "email_otp"]])
    browser = Client()
    sign_in_password(browser, authorize(browser, app_a)["Location"])
    page = browser.get(LOGIN)
    assert "authenticator app" in page.content.decode()  # TOTP first, email offered as another way
    chosen = browser.post("/authenticationendpoint/select", {"flow": flow_id(page), "authenticator": "email_otp"})
    assert chosen.status_code == 302
    page = browser.get(LOGIN)
    assert "We sent a code to your email address." in page.content.decode()
    done = browser.post(LOGIN, {"flow": flow_id(page), "code": email_code(alice)})
    assert is_code(browser.get(done["Location"]))


def test_step_up_asks_only_for_the_missing_step(app_a, app_b, alice):
    sequence_set(actor=None, application=app_b.application, steps=[["basic"], ["email_otp"]])
    browser = Client()
    browser.get(sign_in_password(browser, authorize(browser, app_a)["Location"])["Location"])
    stepped = authorize(browser, app_b)
    assert is_portal(stepped)
    page = browser.get(stepped["Location"])
    body = page.content.decode()
    assert 'name="password"' not in body
    assert 'name="code"' in body
    assert "Signed in as alice" in body
    done = browser.post(LOGIN, {"flow": flow_id(page), "code": email_code(alice)})
    assert is_code(browser.get(done["Location"]))
    session = AuthSession.objects.get(user=alice)
    assert session.methods == ["basic", "email_otp"]
    assert is_code(authorize(browser, app_a))  # still signed in to the first app


def test_id_token_carries_amr(app_a, alice, client):
    from apps.oauth.store import code_find
    from tests.oauth.helpers import query_of

    sequence_set(actor=None, application=app_a.application, steps=[["basic"], ["email_otp"]])
    browser = Client()
    sign_in_password(browser, authorize(browser, app_a)["Location"])
    page = browser.get(LOGIN)
    done = browser.post(LOGIN, {"flow": flow_id(page), "code": email_code(alice)})
    code = query_of(browser.get(done["Location"])["Location"])["code"]
    assert '"amr":["pwd","otp","mfa"]' in code_find(code).claims


def test_logout_ends_sso_for_both_applications(app_a, app_b, alice):
    browser = Client()
    browser.get(sign_in_password(browser, authorize(browser, app_a)["Location"])["Location"])
    assert is_code(authorize(browser, app_b))
    assert browser.get("/authenticationendpoint/logout").status_code == 200  # asks first
    assert browser.post("/authenticationendpoint/logout").status_code == 200
    assert is_portal(authorize(browser, app_a))
    assert is_portal(authorize(browser, app_b))
    session = AuthSession.objects.get(user=alice)
    assert session.revoked_at is not None
    assert session.ended_reason == "logout"
    assert OutboxEvent.objects.filter(event_type="session.terminated").exists()


def test_rp_initiated_logout_ends_the_sso_session(app_a, alice):
    browser = Client()
    browser.get(sign_in_password(browser, authorize(browser, app_a)["Location"])["Location"])
    page = browser.get("/oauth2/logout")
    token = re.search(r'name="logout_token" value="([^"]+)"', page.content.decode()).group(1)
    browser.post("/oauth2/logout", {"logout_token": token})
    assert AuthSession.objects.get(user=alice).revoked_at is not None
    assert is_portal(authorize(browser, app_a))


def test_prompt_login_runs_the_whole_sequence_again(app_a, alice):
    browser = Client()
    browser.get(sign_in_password(browser, authorize(browser, app_a)["Location"])["Location"])
    again = authorize(browser, app_a, prompt="login")
    assert is_portal(again)
    assert "fresh=1" in again["Location"]
    page = browser.get(again["Location"])
    assert 'name="password"' in page.content.decode()


def test_every_first_factor_failure_looks_the_same(root_org, alice, make_user):
    disabled = make_user(root_org, "dora")
    user_set_state(actor=None, user=disabled, state=User.State.DISABLED)
    pages = {}
    for username, password in (("alice", "wrong-pass-1"), ("nobody", "wrong-pass-1"), ("dora", PASSWORD)):
        browser = Client()
        response = sign_in_password(browser, LOGIN, username=username, password=password)
        assert response.status_code == 400
        body = response.content.decode()
        body = re.sub(r'value="[^"]*"', "", body)
        pages[username] = body.replace(username, "X")
    assert pages["alice"] == pages["nobody"] == pages["dora"]
    assert "Incorrect username or password." in pages["alice"]
    reasons = set(AuditLog.objects.filter(action="authentication.step_failed").values_list("data__reason", flat=True))
    assert {"wrong_password", "unknown_user", "disabled"} <= reasons


def test_csrf_token_is_required(alice):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(LOGIN)
    response = browser.post(LOGIN, {"flow": flow_id(page), "username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session
    assert "iam_sso" not in browser.session  # nor signed in at any root organization


def test_tampered_or_foreign_flow_restarts_without_signing_in(alice):
    browser = Client()
    page = browser.get(LOGIN)
    response = browser.post(LOGIN, {"flow": "0" * 8 + flow_id(page)[8:], "username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "Please start again" in response.content.decode()
    assert "_auth_user_id" not in browser.session
    assert "iam_sso" not in browser.session  # nor signed in at any root organization
    other = Client()
    stolen = other.post(LOGIN, {"flow": flow_id(page), "username": "alice", "password": PASSWORD})
    assert stolen.status_code == 400
    assert "_auth_user_id" not in other.session
    assert "iam_sso" not in other.session  # nor signed in at any root organization


def test_expired_flow_is_not_resumed(alice):
    browser = Client()
    page = browser.get(LOGIN)
    LoginFlow.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = browser.post(LOGIN, {"flow": flow_id(page), "username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "_auth_user_id" not in browser.session
    assert "iam_sso" not in browser.session  # nor signed in at any root organization


def test_next_never_leaves_the_site(alice):
    browser = Client()
    response = sign_in_password(browser, f"{LOGIN}?next=https://evil.example/")
    assert response["Location"] == "/myaccount/"


def test_remember_me_keeps_a_longer_session_which_expires(alice):
    short, long = Client(), Client()
    sign_in_password(short, LOGIN)
    sign_in_password(long, LOGIN, remember_me="on")
    short_row, long_row = AuthSession.objects.order_by("created")
    assert not short_row.remember_me
    assert long_row.remember_me
    assert long_row.expires - timezone.now() > timedelta(days=13)
    assert short_row.expires - timezone.now() < timedelta(hours=9)
    assert short.session.get_expire_at_browser_close()
    assert not long.session.get_expire_at_browser_close()
    AuthSession.objects.filter(pk=long_row.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert long.get("/myaccount/").status_code == 302  # the expired SSO session signed the browser out


def test_rate_limit_per_account_answers_429_with_retry_after(alice, settings):
    settings.IAM_LOGIN_RATE_PER_ACCOUNT = (3, 60)
    for _attempt in range(3):
        assert sign_in_password(Client(), LOGIN, password="wrong-pass-1").status_code == 400
    blocked = sign_in_password(Client(), LOGIN, password=PASSWORD)
    assert blocked.status_code == 429
    assert 1 <= int(blocked["Retry-After"]) <= 60


def test_rate_limit_per_ip(alice, settings):
    settings.IAM_LOGIN_RATE_PER_IP = (2, 60)
    browser = Client()
    assert sign_in_password(browser, LOGIN, password="wrong-pass-1").status_code == 400
    assert sign_in_password(browser, LOGIN, password="wrong-pass-2").status_code == 400
    blocked = sign_in_password(browser, LOGIN)
    assert blocked.status_code == 429
    assert blocked["Retry-After"]


def test_console_and_my_account_logins_go_to_the_portal(alice):
    response = Client().get("/myaccount/login/?next=/myaccount/profile/")
    assert response["Location"] == f"{LOGIN}?next=%2Fmyaccount%2Fprofile%2F"
    response = Client().get("/oauth2/login")
    assert response["Location"] == LOGIN


def test_tenant_portal_is_prefixed(other_tenant):
    page = Client().get(f"/t/acme{LOGIN}")
    assert page.status_code == 200
    assert f'action="/t/acme{LOGIN}"' in page.content.decode()


def _at_email_step(app, alice):
    sequence_set(actor=None, application=app.application, steps=[["basic"], ["email_otp"]])
    browser = Client()
    sign_in_password(browser, authorize(browser, app)["Location"])
    page = browser.get(LOGIN)
    return browser, flow_id(page)


def test_too_many_wrong_otps_invalidate_the_code(app_a, alice):
    from apps.notifications.services import notification_settings_get

    browser, flow = _at_email_step(app_a, alice)
    good = email_code(alice)
    wrong = "111111" if good != "111111" else "222222"
    for _attempt in range(notification_settings_get(organization=alice.organization).otp_max_attempts):
        browser.post(LOGIN, {"flow": flow, "code": wrong})
    late = browser.post(LOGIN, {"flow": flow, "code": good})
    assert late.status_code == 400
    assert "Too many wrong codes" in late.content.decode()
    assert "_auth_user_id" not in browser.session
    assert "iam_sso" not in browser.session  # nor signed in at any root organization


def test_expired_and_reused_otps_are_refused(app_a, alice):
    from apps.notifications.models import OneTimeCode

    browser, flow = _at_email_step(app_a, alice)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = browser.post(LOGIN, {"flow": flow, "code": email_code(alice)})
    assert "That code has expired" in expired.content.decode()
    OneTimeCode.objects.update(expires_at=timezone.now() + timedelta(minutes=5))
    code = email_code(alice)
    assert browser.post(LOGIN, {"flow": flow, "code": code}).status_code == 302
    second = Client()
    sign_in_password(second, authorize(second, app_a)["Location"])
    page = second.get(LOGIN)  # a new code was sent; the old one stays used
    reused = second.post(LOGIN, {"flow": flow_id(page), "code": code})
    assert reused.status_code == 400


def test_identifier_first_asks_for_the_password_whether_or_not_the_user_exists(app_a, alice):
    sequence_set(actor=None, application=app_a.application, steps=[["identifier_first"]])
    pages = {}
    for username in ("alice", "nobody"):
        browser = Client()
        page = browser.get(authorize(browser, app_a)["Location"])
        assert 'name="password"' not in page.content.decode()
        assert browser.post(LOGIN, {"flow": flow_id(page), "username": username}).status_code == 302
        page = browser.get(LOGIN)
        pages[username] = re.sub(r'value="[^"]*"', "", page.content.decode()).replace(username, "X")
        assert 'name="password"' in page.content.decode()
        done = browser.post(LOGIN, {"flow": flow_id(page), "password": PASSWORD})
        if username == "alice":
            assert is_code(browser.get(done["Location"]))
        else:
            assert done.status_code == 400
    assert pages["alice"] == pages["nobody"]


def test_a_rate_limit_does_not_reset_at_a_window_boundary(monkeypatch):
    """Three failures just before the minute turns still count just after it (sliding window)."""
    from apps.authn import ratelimit

    clock = [1_000_000 * 60 + 59.5]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    for _ in range(3):
        ratelimit.rate_count("test", "mallory", (3, 60))
    assert ratelimit.rate_limited("test", "mallory", (3, 60)) > 0
    clock[0] += 1  # the next bucket
    assert ratelimit.rate_limited("test", "mallory", (3, 60)) > 0
    clock[0] += 61  # the failures have slid out of the window
    assert ratelimit.rate_limited("test", "mallory", (3, 60)) == 0
