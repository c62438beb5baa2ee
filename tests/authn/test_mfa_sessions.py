"""TOTP (RFC 6238), recovery codes, My Account security and sessions pages, back-channel logout."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from django.test import Client

from apps.authn.models import AuthSession
from apps.authn.services.backchannel import app_login_settings_update
from apps.authn.services.sequences import sequence_set
from apps.authn.services.totp import (
    recovery_code_use,
    totp_code,
    totp_enrol_begin,
    totp_enrol_confirm,
    totp_secret,
    totp_verify,
)
from apps.core.models import AuditLog
from tests.authn.conftest import LOGIN, authorize, flow_id, is_code, sign_in_password

pytestmark = pytest.mark.django_db


def test_totp_matches_the_rfc_6238_test_vector():
    secret = b"12345678901234567890"  # RFC 6238 appendix B, SHA-1
    assert totp_code(secret, 59 // 30) == "287082"
    assert totp_code(secret, 1111111109 // 30) == "081804"
    assert totp_code(secret, 2000000000 // 30) == "279037"


def test_totp_accepts_one_step_of_drift_and_refuses_replay(alice):
    device = totp_enrol_begin(user=alice)
    secret = totp_secret(device)
    now = 1_700_000_000.0
    assert totp_enrol_confirm(user=alice, code=totp_code(secret, int(now // 30) - 5), now=now - 150)
    step = int(now // 30)
    assert totp_verify(user=alice, code=totp_code(secret, step - 1), now=now) == ""  # 30 s late still counts
    assert totp_verify(user=alice, code=totp_code(secret, step - 1), now=now) == "reused"
    assert totp_verify(user=alice, code=totp_code(secret, step), now=now) == ""
    assert totp_verify(user=alice, code=totp_code(secret, step), now=now) == "reused"  # same step, same code
    assert totp_verify(user=alice, code=totp_code(secret, step + 3), now=now) == "invalid"


def test_recovery_codes_work_once(alice):
    device = totp_enrol_begin(user=alice)
    codes = totp_enrol_confirm(user=alice, code=totp_code(totp_secret(device), int(time.time() // 30)))
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert recovery_code_use(user=alice, code=codes[0])
    assert not recovery_code_use(user=alice, code=codes[0])
    assert not recovery_code_use(user=alice, code="aaaaa-bbbbb")


def test_totp_login_step_with_replay_refused(app_a, alice):
    device = totp_enrol_begin(user=alice)
    secret = totp_secret(device)
    earlier = time.time() - 90
    totp_enrol_confirm(user=alice, code=totp_code(secret, int(earlier // 30)), now=earlier)
    sequence_set(actor=None, application=app_a.application, steps=[["basic"], ["totp"]])
    code = totp_code(secret, int(time.time() // 30))
    first = Client()
    sign_in_password(first, authorize(first, app_a)["Location"])
    page = first.get(LOGIN)
    done = first.post(LOGIN, {"flow": flow_id(page), "code": code})
    assert is_code(first.get(done["Location"]))
    second = Client()  # an attacker who watched the code: same step, refused
    sign_in_password(second, authorize(second, app_a)["Location"])
    page = second.get(LOGIN)
    replay = second.post(LOGIN, {"flow": flow_id(page), "code": code})
    assert replay.status_code == 400
    assert "That code is not valid." in replay.content.decode()
    assert AuditLog.objects.filter(action="authentication.step_failed", data__reason="totp_reused").exists()


def test_my_account_totp_enrolment_shows_qr_and_recovery_codes_once(alice, signed_in):
    browser = signed_in(alice)
    assert "Set up authenticator app" in browser.get("/myaccount/security/").content.decode()
    browser.post("/myaccount/security/totp/begin/")
    page = browser.get("/myaccount/security/").content.decode()
    assert "<svg" in page
    assert "<script>" not in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>")[0]
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    import base64

    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    browser.post("/myaccount/security/totp/confirm/", {"code": totp_code(raw, int(time.time() // 30))})
    shown = browser.get("/myaccount/security/").content.decode()
    assert len(re.findall(r"<code>[0-9a-f]{5}-[0-9a-f]{5}</code>", shown)) == 10
    assert len(re.findall(r"<code>[0-9a-f]{5}-", browser.get("/myaccount/security/").content.decode())) == 0
    assert AuditLog.objects.filter(action="mfa.enrolled", target_id=str(alice.pk)).exists()
    browser.post("/myaccount/security/totp/delete/")
    assert "Set up authenticator app" in browser.get("/myaccount/security/").content.decode()


def test_my_account_lists_and_revokes_sessions(alice):
    laptop, phone = Client(HTTP_USER_AGENT="Laptop"), Client(HTTP_USER_AGENT="Phone")
    sign_in_password(laptop, LOGIN)
    sign_in_password(phone, LOGIN)
    page = laptop.get("/myaccount/sessions/").content.decode()
    assert "Laptop" in page
    assert "Phone" in page
    assert "This browser" in page
    phone_row = AuthSession.objects.get(user_agent="Phone")
    assert laptop.post(f"/myaccount/sessions/{phone_row.pk}/end/").status_code == 302
    assert phone.get("/myaccount/").status_code == 302  # signed out on its next request
    assert laptop.get("/myaccount/").status_code == 200
    assert AuditLog.objects.filter(action="session.revoked").exists()
    own = AuthSession.objects.get(user_agent="Laptop")
    laptop.post(f"/myaccount/sessions/{own.pk}/end/")
    assert laptop.get("/myaccount/").status_code == 302


def test_sessions_of_another_user_cannot_be_revoked(alice, make_user, root_org):
    bob = make_user(root_org, "bob")
    bob_browser = Client()
    sign_in_password(bob_browser, LOGIN, username="bob")
    alice_browser = Client()
    sign_in_password(alice_browser, LOGIN)
    bob_row = AuthSession.objects.get(user=bob)
    assert alice_browser.post(f"/myaccount/sessions/{bob_row.pk}/end/").status_code == 404
    assert bob_browser.get("/myaccount/").status_code == 200


class _Receiver(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        _Receiver.received.append(parse_qs(body)["logout_token"][0])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_back_channel_logout_posts_a_verifiable_logout_token(
    app_a, alice, settings, django_capture_on_commit_callbacks, eager_celery
):
    from apps.keystores.selectors import keystore_jwks
    from tests.oauth.helpers import jwt_verified_claims

    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.received = []
    try:
        uri = f"http://127.0.0.1:{server.server_port}/bcl"
        app_login_settings_update(actor=None, application=app_a.application, backchannel_logout_uri=uri)
        browser = Client()
        browser.get(sign_in_password(browser, authorize(browser, app_a)["Location"])["Location"])
        with django_capture_on_commit_callbacks(execute=True):
            browser.post("/authenticationendpoint/logout")
    finally:
        server.shutdown()
    assert len(_Receiver.received) == 1
    claims = jwt_verified_claims(_Receiver.received[0], keystore_jwks(organization=alice.organization))
    session = AuthSession.objects.get(user=alice)
    assert claims["aud"] == app_a.client_id
    assert claims["sub"] == str(alice.pk)
    assert claims["sid"] == str(session.pk)
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
    assert claims["iss"].endswith("/oauth2/token")
    assert "nonce" not in claims
    assert json.loads(json.dumps(claims))


@pytest.mark.parametrize("credential", ["", "not json", '{"id": "AAAA"}', '{"id": "x", "response": {}}', "[]"])
def test_bad_passkey_answers_are_refused_without_errors(app_a, alice, signed_in, credential):
    from apps.authn.models import PasskeyCredential

    sequence_set(actor=None, application=app_a.application, steps=[["passkey", "basic"]])
    browser = Client()
    page = browser.get(authorize(browser, app_a)["Location"])
    assert "Use passkey" in page.content.decode()
    assert 'id="passkey-options"' in page.content.decode()
    response = browser.post(LOGIN, {"flow": flow_id(page), "credential": credential})
    assert response.status_code == 400
    assert "_auth_user_id" not in browser.session
    assert "iam_sso" not in browser.session  # nor signed in at any root organization
    account = signed_in(alice)
    account.get("/myaccount/security/")
    added = account.post("/myaccount/security/passkeys/add/", {"credential": credential, "name": "x"}, follow=True)
    assert "The passkey could not be verified." in added.content.decode() or "again" in added.content.decode()
    assert not PasskeyCredential.objects.exists()
