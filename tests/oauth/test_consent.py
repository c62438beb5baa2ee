"""Consent for applications that are not first-party (e.g. dynamically registered clients)."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.core.models import AuditLog
from apps.oauth.models import Consent
from tests.oauth.conftest import REDIRECT
from tests.oauth.helpers import pkce_pair, query_of


@pytest.fixture
def third_party(root_org, orders_api, make_app):
    return make_app(root_org, name="third-party", apis={orders_api: ["orders:read"]}, skip_authorization=False)


def authorize(browser: Client, app, *, scope="openid orders:read", **more):
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st-9",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **more,
    }
    return browser.get("/oauth2/authorize", params)


def answer(browser: Client, page, decision: str):
    return browser.post("/oauth2/consent", {"request": page.context["authorize_request"], "decision": decision})


def test_third_party_app_asks_once_then_remembers(browser, third_party, alice):
    page = authorize(browser, third_party)
    assert page.status_code == 200
    assert b"Allow third-party?" in page.content
    assert b"orders:read" in page.content
    assert "code" not in page.get("Location", "")

    back = answer(browser, page, "allow")
    assert back.status_code == 302
    final = browser.get(back["Location"])
    assert final.status_code == 302
    assert "code" in query_of(final["Location"])
    assert Consent.objects.get(user=alice).scopes == ["openid", "orders:read"]
    assert AuditLog.objects.filter(action="oauth.consent.grant", actor_id=str(alice.id)).exists()

    # Remembered: the same (or a narrower) request goes straight through.
    again = authorize(browser, third_party, scope="orders:read")
    assert again.status_code == 302
    assert "code" in query_of(again["Location"])


def test_a_wider_request_asks_again(browser, third_party, alice):
    answer(browser, authorize(browser, third_party, scope="openid"), "allow")
    page = authorize(browser, third_party, scope="openid orders:read")
    assert page.status_code == 200
    assert b"orders:read" in page.content


def test_denying_redirects_with_access_denied_and_remembers_nothing(browser, third_party, alice):
    response = answer(browser, authorize(browser, third_party), "deny")
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert response["Location"].startswith(REDIRECT)
    assert query["error"] == "access_denied"
    assert query["state"] == "st-9"
    assert not Consent.objects.exists()


def test_prompt_none_without_consent_is_consent_required(browser, third_party, alice):
    response = authorize(browser, third_party, prompt="none")
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "consent_required"


def test_prompt_consent_asks_even_a_first_party_app(browser, web, alice):
    page = authorize(browser, web, prompt="consent")
    assert page.status_code == 200
    assert b"Allow web?" in page.content
    first_party = authorize(browser, web)
    assert first_party.status_code == 302  # without the prompt, first-party apps do not ask


def test_consent_answer_needs_csrf(alice, third_party):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice, backend="apps.users.backends.OrganizationUserBackend")
    page = authorize(strict, third_party)
    refused = strict.post("/oauth2/consent", {"request": page.context["authorize_request"], "decision": "allow"})
    assert refused.status_code == 403
    assert not Consent.objects.exists()


def test_consent_answer_for_a_tampered_request_never_redirects_elsewhere(browser, third_party, alice):
    page = authorize(browser, third_party)
    tampered = page.context["authorize_request"].replace("rp.example.com", "evil.example.com")
    response = browser.post("/oauth2/consent", {"request": tampered, "decision": "deny"})
    assert response.status_code == 400
    assert "evil.example.com" not in response.get("Location", "")


def test_the_consent_page_lets_its_form_end_at_the_client(browser, third_party, alice):
    """CSP 3 ``form-action`` governs the redirects after the consent POST too: the page allows the
    client's redirect URI origin, nothing else beyond 'self'."""
    page = authorize(browser, third_party)
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert "form-action 'self' https://rp.example.com;" in policy


def test_a_loopback_client_may_receive_the_answer_on_any_port(browser, root_org, orders_api, make_app, alice):
    app = make_app(
        root_org,
        "mcp-client-application",
        "native",
        redirect_uris=["http://127.0.0.1/callback"],
        skip_authorization=False,
    )
    page = authorize(browser, app, scope="openid", redirect_uri="http://127.0.0.1:43210/callback")
    assert page.status_code == 200
    assert "form-action 'self' http://127.0.0.1:*" in page["Content-Security-Policy"]
