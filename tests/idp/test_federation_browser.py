"""Acceptance (federation) in Chromium: "Sign in with TenantB" on tenant A's portal, the password at
tenant B, back at A's application as the linked local user; then the user unlinks in My Account."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from apps.authn.services.sequences import sequence_set
from apps.idp.models import FederatedAssociation
from tests.conftest import USER_PASSWORD
from tests.idp.conftest import pkce_pair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _AppCallback(BaseHTTPRequestHandler):
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
def app_callback() -> Iterator[str]:
    """Tenant A's application: a loopback HTTP server at its redirect URI."""
    server = HTTPServer(("127.0.0.1", 0), _AppCallback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/callback"
    server.shutdown()


def test_sign_in_with_tenant_b_in_chromium_then_unlink_in_my_account(
    federation: Any,
    make_user: Any,
    make_app: Any,
    app_callback: str,
    page: Any,  # noqa: F811
    artifacts: Path,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    fed = federation
    samuel = make_user(fed.tenant_a, "samuel", email="sam@example.com", attributes={"employeeId": "E-1007"})
    app = make_app(fed.tenant_a, name="browser-app", redirect_uris=[app_callback])
    sequence_set(actor=None, application=app.application, steps=[["basic", "federated:TenantB"]])

    _verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app_callback,
        "scope": "openid",
        "state": "st",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page.goto(f"{fed.base}/oauth2/authorize?{urlencode(query)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.screenshot(path=str(artifacts / "1-portal-a.png"), full_page=True)
    page.get_by_role("button", name="Sign in with TenantB").click()
    page.get_by_role("link", name="Continue with TenantB").click()
    # Tenant B's own login page.
    expect(page.get_by_text("Use your Acme Corp account.")).to_be_visible()
    page.screenshot(path=str(artifacts / "2-login-at-b.png"), full_page=True)
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"127\.0\.0\.1:\d+/callback\?code="))
    association = FederatedAssociation.objects.get()
    assert association.user == samuel
    assert association.idp == fed.idp

    # The browser is now signed in at A as samuel: My Account shows the link, and unlinking removes it.
    page.goto(f"{fed.base}/myaccount/linked-accounts/")
    expect(page.locator("#linked-accounts")).to_contain_text("TenantB")
    page.screenshot(path=str(artifacts / "3-linked-accounts.png"), full_page=True)
    page.get_by_role("button", name="Unlink TenantB").click()
    expect(page.get_by_text("No linked accounts.")).to_be_visible()
    assert not FederatedAssociation.objects.exists()
