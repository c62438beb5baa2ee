"""Acceptance (login portal): password + email OTP in Chromium, SSO into a second app, logout of both.

The OTP travels for real: the notifications worker (Celery, eager) sends it to an aiosmtpd server
on loopback, and the test reads it from there as the user would read their inbox."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.notifications.servers import free_port

pytestmark = pytest.mark.browser


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content)
        parts = [part.get_payload(decode=True).decode() for part in parsed.walk() if not part.is_multipart()]
        self.messages.append("\n".join(parts))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def inbox() -> Any:
    from aiosmtpd.controller import Controller

    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _code_from(inbox: _Inbox) -> str:
    assert inbox.arrived.wait(10), "no email arrived"
    return re.search(r"\b([0-9]{6})\b", inbox.messages[-1]).group(1)


def _authorize_url(base: str, client_id: str, redirect: str) -> str:
    from urllib.parse import urlencode

    from tests.oauth.helpers import pkce_pair

    _verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "scope": "openid",
        "state": "st",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{base}/oauth2/authorize?{urlencode(query)}"


class _Callback(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = b"app callback"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def app_server() -> Any:
    """The applications' redirect URI: a loopback HTTP server that just answers."""
    server = HTTPServer(("127.0.0.1", 0), _Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/callback"
    server.shutdown()


def _code_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["code"][0]


def test_password_then_email_otp_then_sso_then_logout_of_both(
    live_server: Any,
    bootstrapped: None,
    page: Any,
    artifacts: Path,
    inbox: Any,
    settings: Any,
    app_server: str,
    eager_celery: None,
) -> None:
    from playwright.sync_api import expect

    from apps.applications.services import application_create
    from apps.authn.models import AuthSession
    from apps.authn.services.sequences import sequence_set
    from apps.notifications.services import email_sender_save
    from apps.orgs.models import Organization
    from apps.users.services import user_create

    controller, mailbox = inbox
    root = Organization.objects.get(handle="root", parent__isnull=True)
    email_sender_save(
        actor=None,
        organization=root,
        host="127.0.0.1",
        port=controller.port,
        security="none",
        from_address="login@example.org",
        auth_type="NONE",
    )
    user_create(actor=None, organization=root, username="erin", password="Erin-pass-1234", email="erin@example.org")
    first, _secret = application_create(
        actor=None, organization=root, template_id="oidc-web-application", name="Portal A", redirect_uris=[app_server]
    )
    second, _secret = application_create(
        actor=None, organization=root, template_id="oidc-web-application", name="Portal B", redirect_uris=[app_server]
    )
    sequence_set(actor=None, application=first, steps=[["basic"], ["email_otp"]])

    # App A: the portal asks for the password ...
    page.goto(_authorize_url(live_server.url, first.client_id, app_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.screenshot(path=str(artifacts / "1-password.png"), full_page=True)
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill("Erin-pass-1234")
    page.get_by_role("button", name="Sign in").click()
    # ... then the code sent by email.
    expect(page.get_by_text("We sent a code to your email address.")).to_be_visible()
    expect(page.get_by_text("Step 2 of 2")).to_be_visible()
    page.screenshot(path=str(artifacts / "2-email-otp.png"), full_page=True)
    code = _code_from(mailbox)
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/callback\?code="))
    assert _code_in(page.url)

    # App B: single sign-on, no prompt.
    page.goto(_authorize_url(live_server.url, second.client_id, app_server))
    assert page.url.startswith(app_server)
    assert _code_in(page.url)
    session = AuthSession.objects.get(user__username="erin")
    assert session.methods == ["basic", "email_otp"]
    assert {first.client_id, second.client_id} <= set(session.clients)

    # Logout from the portal ends the SSO session of both apps.
    page.goto(f"{live_server.url}/authenticationendpoint/logout")
    page.screenshot(path=str(artifacts / "3-logout-confirm.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out")
    for app in (first, second):
        page.goto(_authorize_url(live_server.url, app.client_id, app_server))
        expect(page.get_by_label("Password")).to_be_visible()
        assert "/authenticationendpoint/login" in page.url
    page.screenshot(path=str(artifacts / "4-signed-out.png"), full_page=True)
    session.refresh_from_db()
    assert session.revoked_at is not None


def test_passkey_enrolled_in_my_account_then_used_as_second_and_as_only_step(
    live_server: Any, bootstrapped: None, page: Any, artifacts: Path, app_server: str
) -> None:
    """Chromium's virtual authenticator (DevTools protocol) stands in for a phone or security key."""
    from playwright.sync_api import expect

    from apps.applications.services import application_create
    from apps.authn.models import AuthSession, PasskeyCredential
    from apps.authn.services.sequences import sequence_set
    from apps.orgs.models import Organization
    from apps.users.services import user_create

    root = Organization.objects.get(handle="root", parent__isnull=True)
    user_create(actor=None, organization=root, username="pat", password="Pat-pass-12345", email="pat@example.org")
    app, _secret = application_create(
        actor=None, organization=root, template_id="oidc-web-application", name="Keys", redirect_uris=[app_server]
    )
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    # Enrol in My Account (signed in with the password through the portal).
    page.goto(f"{live_server.url}/myaccount/security/")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill("Pat-pass-12345")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Passkeys")).to_be_visible()
    page.get_by_label("Passkey name").fill("Laptop key")
    page.get_by_role("button", name="Add passkey").click()
    expect(page.get_by_role("status")).to_contain_text("Passkey added.")
    expect(page.get_by_text("Laptop key")).to_be_visible()
    page.screenshot(path=str(artifacts / "1-passkey-enrolled.png"), full_page=True)
    assert PasskeyCredential.objects.filter(user__username="pat").count() == 1

    # Second step after the password: the step-up asks only for the passkey.
    sequence_set(actor=None, application=app, steps=[["basic"], ["passkey"]])
    page.goto(_authorize_url(live_server.url, app.client_id, app_server))
    expect(page.get_by_role("button", name="Use passkey")).to_be_visible()
    page.screenshot(path=str(artifacts / "2-passkey-step.png"), full_page=True)
    page.get_by_role("button", name="Use passkey").click()
    page.wait_for_url(re.compile(r"/callback\?code="))
    assert set(AuthSession.objects.get(user__username="pat", revoked_at__isnull=True).methods) == {"basic", "passkey"}

    # Passkey as the only step: no username, no password.
    page.goto(f"{live_server.url}/authenticationendpoint/logout")
    page.get_by_role("button", name="Sign out").click()
    sequence_set(actor=None, application=app, steps=[["passkey", "basic"]])
    page.goto(_authorize_url(live_server.url, app.client_id, app_server))
    expect(page.get_by_role("button", name="Use passkey")).to_be_visible()
    page.get_by_role("button", name="Use passkey").click()
    page.wait_for_url(re.compile(r"/callback\?code="))
    assert AuthSession.objects.get(user__username="pat", revoked_at__isnull=True).methods == ["passkey"]
