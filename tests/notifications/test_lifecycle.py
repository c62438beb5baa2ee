"""Account lifecycle end to end over HTTP, delivered for real (eager worker tasks) to a loopback
SMTP server that only accepts AUTH XOAUTH2 and to a loopback SMS endpoint:

- SCIM ``verifyEmail`` -> email OTP -> ``validate-code`` verifies; five wrong codes invalidate it;
  the link variant through the portal page;
- invite (SCIM ``askPassword``) by SMS OTP: username + OTP at the login page -> "set your
  password" -> the new password signs in; ``credentialUpdated`` ADMIN/INVITE;
- admin-forced reset (SCIM ``forcePasswordReset``) by email link and by email OTP: the old
  password fails at once, the link / code leads to a new password; ``credentialUpdated`` ADMIN/RESET;
- resend cool-down and the resend limit; email change through ``/scim2/Me`` and mobile change
  in My Account wait for verification."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from apps.core.models import OutboxEvent
from apps.notifications import transports
from apps.notifications.services import notification_settings_update
from apps.users.models import User
from apps.webhooks.payloads import webhook_payload_build
from tests.notifications.lifecycle_helpers import (
    LOGIN,
    code_in,
    last_email_text,
    last_sms,
    link_in,
    portal_sign_in,
    providers_configure,
    signed_in_to,
)
from tests.notifications.servers import SmsEndpoint, SmtpServer, TokenEndpoint
from tests.scim.conftest import USER_SCHEMA, WSO2, ScimClient

pytestmark = [
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
    pytest.mark.usefixtures("eager_celery"),
]
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
NEW_PASSWORD = "Brand-new-pass-789"


@pytest.fixture(autouse=True)
def _clean_caches() -> Iterator[None]:
    transports._tokens.clear()
    cache.clear()  # rate limits
    yield
    transports._tokens.clear()
    cache.clear()


@pytest.fixture
def tokens() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def smtp(tokens: TokenEndpoint) -> Iterator[SmtpServer]:
    server = SmtpServer(tokens).start()
    yield server
    server.stop()


@pytest.fixture
def sms() -> Iterator[SmsEndpoint]:
    endpoint = SmsEndpoint().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def org(root_org, admin_user, smtp, tokens, sms, django_capture_on_commit_callbacks):
    providers_configure(root_org, admin_user, smtp=smtp, tokens=tokens, sms=sms)
    notification_settings_update(actor=None, organization=root_org, otp_resend_cooldown_seconds=0)
    return root_org


@pytest.fixture
def configure(org):
    def apply(**fields: Any) -> None:
        notification_settings_update(actor=None, organization=org, **fields)

    return apply


@pytest.fixture
def scim(admin_user, mint_token) -> ScimClient:
    return ScimClient("root", f"Bearer {mint_token(admin_user)}")


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run what a request queued (outbox -> worker task -> SMTP/SMS) as the worker would."""

    def run(call, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def credential_events(user: User) -> list[dict[str, Any]]:
    found = []
    for event in OutboxEvent.objects.filter(event_type="user.password_updated").order_by("created"):
        if event.payload.get("userId") != str(user.pk) and event.payload.get("id") != str(user.pk):
            continue
        built = webhook_payload_build(event, user.organization)
        if built is not None:
            found.append(next(iter(json.loads(built[1])["events"].values())))
    return found


def account_state(scim: ScimClient, user_id: str) -> dict[str, Any]:
    return scim.get(f"/Users/{user_id}").json()[WSO2]


# --- email verification ---------------------------------------------------------------------------


def test_scim_verify_email_sends_an_otp_over_xoauth2_and_the_code_verifies_the_user(
    org, configure, scim, smtp, deliver, make_user
):
    configure(email_verification_method="otp")
    created = deliver(
        scim.post,
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "vera",
            "password": "Vera-pass-12345",
            "emails": [{"value": "vera@example.org", "primary": True}],
            WSO2: {"verifyEmail": "true"},
        },
    )
    assert created.status_code == 201, created.content
    user_id = created.json()["id"]
    assert created.json()[WSO2]["accountState"] == "PENDING_EV"
    assert smtp.handler.logins == ["no-reply@root.example"]  # XOAUTH2 with the endpoint's token
    text = last_email_text(smtp, "vera@example.org")
    assert "http" not in text  # a code, not a link
    code = code_in(text)

    # Until verified the account cannot sign in.
    assert portal_sign_in(Client(), "vera", "Vera-pass-12345").status_code == 400
    listed = scim.get("/Users", {"filter": f'{WSO2}:accountState eq "PENDING_EV"'}).json()
    assert [r["userName"] for r in listed["Resources"]] == ["vera"]

    anonymous = Client()
    answer = anonymous.post(
        "/api/identity/user/v1.0/validate-code",
        {"code": code, "user": {"username": "vera"}},
        content_type="application/json",
    )
    assert answer.status_code == 202, answer.content
    state = account_state(scim, user_id)
    assert state["accountState"] == "UNLOCKED"
    assert User.objects.get(pk=user_id).attributes["emailVerified"] is True
    browser = Client()
    assert portal_sign_in(browser, "vera", "Vera-pass-12345").status_code == 302
    assert signed_in_to(browser)
    # used once
    again = anonymous.post(
        "/api/identity/user/v1.0/validate-code", {"code": code, "user": {"username": "vera"}}, "application/json"
    )
    assert again.status_code == 400
    assert again.json()["code"] == "NTF-60059"


def test_five_wrong_email_verification_codes_invalidate_the_code(org, configure, scim, smtp, deliver):
    configure(email_verification_method="otp")
    created = deliver(
        scim.post,
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "wendy",
            "emails": [{"value": "wendy@example.org", "primary": True}],
            WSO2: {"verifyEmail": True},
        },
    )
    code = code_in(last_email_text(smtp, "wendy@example.org"))
    wrong = "000000" if code != "000000" else "111111"
    client = Client()

    def submit(value: str) -> Any:
        return client.post(
            "/api/identity/user/v1.0/validate-code",
            {"code": value, "user": {"username": "wendy"}},
            content_type="application/json",
        )

    for _ in range(5):
        assert submit(wrong).status_code == 400
    late = submit(code)
    assert late.status_code == 400
    assert "no longer works" in late.json()["description"]
    assert account_state(scim, created.json()["id"])["accountState"] == "PENDING_EV"


def test_verify_email_by_link_on_the_portal_page(org, scim, smtp, deliver):
    created = deliver(
        scim.post,
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "lena",
            "password": "Lena-pass-12345",
            "emails": [{"value": "lena@example.org", "primary": True}],
            WSO2: {"verifyEmail": "true"},
        },
    )
    link = link_in(last_email_text(smtp, "lena@example.org"))
    assert link.startswith("/t/root/accountrecoveryendpoint/verify-email/?token=") or link.startswith(
        "/accountrecoveryendpoint/verify-email/?token="
    )
    browser = Client()
    page = browser.get(link)
    assert page.status_code == 200
    assert b"Verify my email address" in page.content
    # Opening the link (a mail scanner) does not use it up; the button does.
    assert account_state(scim, created.json()["id"])["accountState"] == "PENDING_EV"
    token = link.split("token=", 1)[1]
    done = browser.post(link.split("?", 1)[0], {"token": token})
    assert done.status_code == 200
    assert b"is verified" in done.content
    assert account_state(scim, created.json()["id"])["accountState"] == "UNLOCKED"
    replay = browser.post(link.split("?", 1)[0], {"token": token})
    assert replay.status_code == 400
    tampered = browser.get(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    assert tampered.status_code == 400


# --- invite (ask password) -----------------------------------------------------------------------


def test_invite_by_sms_otp_username_and_code_at_login_lead_to_set_password(org, configure, scim, sms, deliver):
    configure(ask_password_method="sms_otp")
    created = deliver(
        scim.post,
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "ivan",
            "phoneNumbers": [{"value": "+15550002222", "type": "mobile"}],
            WSO2: {"askPassword": "true"},
        },
    )
    assert created.status_code == 201, created.content
    user = User.objects.get(pk=created.json()["id"])
    assert created.json()[WSO2]["accountState"] == "PENDING_AP"
    message = last_sms(sms)
    assert message["to"] == "+15550002222"
    code = code_in(message["message"])

    wrong = portal_sign_in(Client(), "ivan", "000000" if code != "000000" else "111111")
    assert wrong.status_code == 400

    browser = Client()
    first = portal_sign_in(browser, "ivan", code)
    assert first.status_code == 302
    assert first["Location"].endswith(LOGIN)
    setup = browser.get(LOGIN)
    assert setup.status_code == 200
    assert b"Set your password" in setup.content
    assert not signed_in_to(Client())  # nothing signed in before the password is set
    flow = setup.content.decode().split('name="flow" value="', 1)[1].split('"', 1)[0]
    done = deliver(browser.post, LOGIN, {"flow": flow, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/myaccount/"
    assert signed_in_to(browser)
    user.refresh_from_db()
    assert user.state == User.State.ACTIVE

    later = Client()
    assert portal_sign_in(later, "ivan", NEW_PASSWORD).status_code == 302
    assert signed_in_to(later)
    assert portal_sign_in(Client(), "ivan", code).status_code == 400  # the code was used once
    events = credential_events(user)
    assert events[-1]["action"] == "INVITE"
    assert events[-1]["initiatorType"] == "ADMIN"
    assert events[-1]["credentialType"] == "PASSWORD"


def test_invite_link_goes_to_the_set_password_page_when_no_invited_user_flow_exists(org, scim, smtp, deliver):
    with mock.patch("apps.flows.services.flow_start_url", side_effect=NotImplementedError):
        created = deliver(
            scim.post,
            "/Users",
            {
                "schemas": [USER_SCHEMA],
                "userName": "nina",
                "emails": [{"value": "nina@example.org", "primary": True}],
                WSO2: {"askPassword": True},
            },
        )
    link = link_in(last_email_text(smtp, "nina@example.org"))
    assert "/accountrecoveryendpoint/password-setup/?token=" in link
    browser = Client()
    page = browser.get(link)
    assert page.status_code == 200
    assert b"Set your password" in page.content
    token = link.split("token=", 1)[1]
    weak = browser.post(link.split("?")[0], {"token": token, "password": "x", "password_again": "x"})
    assert weak.status_code == 400  # policy refusal keeps the link usable
    done = browser.post(link.split("?")[0], {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 200
    assert b"Your password is set" in done.content
    user = User.objects.get(pk=created.json()["id"])
    assert user.state == User.State.ACTIVE
    assert user.attributes.get("emailVerified") is True
    assert portal_sign_in(Client(), "nina", NEW_PASSWORD).status_code == 302


def test_invite_link_points_into_the_invited_user_flow_when_flows_provide_it(org, scim, smtp, deliver):
    target = "/accountrecoveryendpoint/flow/invite?code="
    with mock.patch(
        "apps.flows.services.flow_start_url",
        side_effect=lambda org, flow_type, confirmation_code: target + confirmation_code,
    ) as start:
        deliver(
            scim.post,
            "/Users",
            {
                "schemas": [USER_SCHEMA],
                "userName": "otto",
                "emails": [{"value": "otto@example.org", "primary": True}],
                WSO2: {"askPassword": True},
            },
        )
    assert start.call_args.args[1] == "INVITED_USER_REGISTRATION"
    assert link_in(last_email_text(smtp, "otto@example.org")).startswith(target)


# --- admin-forced password reset -----------------------------------------------------------------


def test_forced_reset_by_email_link_old_password_fails_and_the_link_sets_a_new_one(org, scim, smtp, deliver, make_user):
    rita = make_user(org, "rita", email="rita@example.org")
    old = "Secret-pass-456"
    browser = Client()
    assert portal_sign_in(browser, "rita", old).status_code == 302
    assert signed_in_to(browser)

    patched = deliver(
        scim.patch, f"/Users/{rita.pk}", [{"op": "add", "value": {ENTERPRISE: {"forcePasswordReset": True}}}]
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()[WSO2]["accountState"] == "PENDING_FUPR"
    assert not signed_in_to(browser)  # the sign-in session ended with the reset
    assert portal_sign_in(Client(), "rita", old).status_code == 400
    listed = scim.get("/Users", {"filter": f'{WSO2}:accountState eq "PENDING_FUPR"'}).json()
    assert [r["userName"] for r in listed["Resources"]] == ["rita"]

    link = link_in(last_email_text(smtp, "rita@example.org"))
    page = browser.get(link)
    assert page.status_code == 200
    assert b"Set a new password" in page.content
    token = link.split("token=", 1)[1]
    done = deliver(
        browser.post, link.split("?")[0], {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.content
    assert portal_sign_in(Client(), "rita", old).status_code == 400
    assert portal_sign_in(Client(), "rita", NEW_PASSWORD).status_code == 302
    assert browser.get(link).status_code == 400  # used
    events = credential_events(rita)
    assert events[-1]["action"] == "RESET"
    assert events[-1]["initiatorType"] == "ADMIN"


def test_forced_reset_by_email_otp_signs_in_with_the_code_into_set_a_new_password(
    org, configure, scim, smtp, deliver, make_user
):
    configure(admin_reset_method="email_otp")
    olga = make_user(org, "olga", email="olga@example.org")
    deliver(scim.patch, f"/Users/{olga.pk}", [{"op": "add", "value": {ENTERPRISE: {"forcePasswordReset": True}}}])
    code = code_in(last_email_text(smtp, "olga@example.org"))
    assert portal_sign_in(Client(), "olga", "Secret-pass-456").status_code == 400
    browser = Client()
    assert portal_sign_in(browser, "olga", code).status_code == 302
    page = browser.get(LOGIN)
    assert b"Set a new password" in page.content
    flow = page.content.decode().split('name="flow" value="', 1)[1].split('"', 1)[0]
    mismatch = browser.post(LOGIN, {"flow": flow, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    done = browser.post(LOGIN, {"flow": flow, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 302
    assert signed_in_to(browser)
    assert User.objects.get(pk=olga.pk).state == User.State.ACTIVE


def test_admin_sets_a_password_directly_for_a_user_pending_reset(org, scim, deliver, make_user):
    paul = make_user(org, "paul", email="paul@example.org")
    deliver(scim.patch, f"/Users/{paul.pk}", [{"op": "add", "value": {ENTERPRISE: {"forcePasswordReset": True}}}])
    replaced = scim.patch(f"/Users/{paul.pk}", [{"op": "replace", "value": {"password": NEW_PASSWORD}}])
    assert replaced.status_code == 200
    assert replaced.json()[WSO2]["accountState"] == "UNLOCKED"
    assert portal_sign_in(Client(), "paul", NEW_PASSWORD).status_code == 302


# --- resends ------------------------------------------------------------------------------------


def test_resend_code_api_invalidates_the_old_code_respects_cool_down_and_the_resend_limit(
    org, configure, scim, smtp, deliver, mint_token, admin_user
):
    configure(ask_password_method="email_otp", max_resends=2)
    deliver(
        scim.post,
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "rosa",
            "emails": [{"value": "rosa@example.org", "primary": True}],
            WSO2: {"askPassword": True},
        },
    )
    first = code_in(last_email_text(smtp, "rosa@example.org"))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user)}")
    body = {
        "user": {"username": "rosa", "realm": "PRIMARY"},
        "properties": [{"key": "RecoveryScenario", "value": "ASK_PASSWORD"}],
    }

    def resend() -> Any:
        return deliver(api.post, "/api/identity/user/v1.0/resend-code", body, content_type="application/json")

    answer = resend()
    assert answer.status_code == 201, answer.content
    assert answer.json()["method"] == "email_otp"
    second = code_in(last_email_text(smtp, "rosa@example.org"))
    assert portal_sign_in(Client(), "rosa", first).status_code == 400  # the old code is gone
    assert resend().status_code == 201
    limited = resend()
    assert limited.status_code == 429
    assert limited.json()["code"] == "NTF-60061"
    configure(otp_resend_cooldown_seconds=600, max_resends=10)
    cooling = resend()
    assert cooling.status_code == 429
    assert cooling.json()["code"] == "NTF-60055"
    assert second  # the latest delivered code is the one that works
    latest = code_in(last_email_text(smtp, "rosa@example.org"))
    assert portal_sign_in(Client(), "rosa", latest).status_code == 302


# --- contact changes by the user -----------------------------------------------------------------


def test_email_change_through_scim_me_waits_for_verification(org, configure, smtp, deliver, make_user, mint_token):
    configure(email_verification_method="otp")
    mia = make_user(org, "mia", email="mia@example.org")
    me = ScimClient("root", f"Bearer {mint_token(mia)}")
    patched = deliver(
        me.patch, "/Me", [{"op": "replace", "value": {"emails": [{"value": "mia@new.example", "primary": True}]}}]
    )
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert body["emails"][0]["value"] == "mia@example.org"  # the old address stays until verified
    assert body[WSO2]["pendingEmails"] == ["mia@new.example"]
    code = code_in(last_email_text(smtp, "mia@new.example"))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {mint_token(mia)}")
    wrong = api.post("/api/users/v1/me/validate-code", {"code": "x"}, content_type="application/json")
    assert wrong.status_code == 400
    ok = api.post("/api/users/v1/me/validate-code", {"code": code}, content_type="application/json")
    assert ok.status_code == 202, ok.content
    mia.refresh_from_db()
    assert mia.email == "mia@new.example"
    assert "pendingEmail" not in mia.attributes
    assert mia.attributes["emailVerified"] is True


def test_mobile_change_in_my_account_shows_a_banner_resends_and_verifies(
    org, configure, sms, deliver, make_user, signed_in
):
    configure(max_resends=1)
    max_ = make_user(org, "max", email="max@example.org", phone="+15550003333")
    browser = signed_in(max_)
    saved = deliver(
        browser.post,
        "/myaccount/profile/",
        {"given_name": "Max", "family_name": "", "email": "max@example.org", "phone": "+15550004444"},
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    max_.refresh_from_db()
    assert max_.phone == "+15550003333"
    assert max_.attributes["pendingMobile"] == "+15550004444"
    assert last_sms(sms)["to"] == "+15550004444"
    home = browser.get("/myaccount/")
    assert b"mobile-verification-banner" in home.content
    assert b"+15550004444" in home.content

    resent = deliver(browser.post, "/myaccount/verify/", {"channel": "mobile", "action": "resend"}, follow=True)
    assert b"Sent again" in resent.content
    assert len(sms.received) == 2
    refused = deliver(browser.post, "/myaccount/verify/", {"channel": "mobile", "action": "resend"}, follow=True)
    assert b"cannot be sent again" in refused.content
    assert len(sms.received) == 2

    code = code_in(last_sms(sms)["message"])
    done = browser.post("/myaccount/verify/", {"channel": "mobile", "action": "confirm", "mobile-code": code})
    assert done.status_code == 302
    max_.refresh_from_db()
    assert max_.phone == "+15550004444"
    assert max_.attributes["phoneVerified"] is True
    assert b"mobile-verification-banner" not in browser.get("/myaccount/").content
