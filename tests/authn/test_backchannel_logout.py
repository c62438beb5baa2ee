"""OIDC Back-Channel Logout with ``sid``: the ID tokens of every application signed in through one
SSO session carry that session's id, and logging out of one application POSTs a logout token with
the same ``sid`` to the back-channel URI of each of them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from apps.authn.models import AuthSession
from apps.authn.services.backchannel import app_login_settings_update
from tests.authn.conftest import LOGIN, REDIRECT, is_code, sign_in_password
from tests.authn.logout_receiver import logout_receiver, logout_token_claims
from tests.oauth.helpers import basic, form_post, jwt_verified_claims, pkce_pair, query_of

pytestmark = pytest.mark.django_db


def authorize_url(app: Any, challenge: str) -> str:
    from urllib.parse import urlencode

    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"/oauth2/authorize?{urlencode(params)}"


def id_token_of(browser: Client, app: Any, *, sign_in: bool) -> dict[str, Any]:
    """Authorize ``app`` (through the portal when ``sign_in``), exchange the code, verify the ID token."""
    from apps.keystores.selectors import keystore_jwks

    verifier, challenge = pkce_pair()
    response = browser.get(authorize_url(app, challenge))
    if sign_in:
        response = browser.get(sign_in_password(browser, response["Location"])["Location"])
    assert is_code(response), "expected a code without a prompt (SSO)"
    data = {
        "grant_type": "authorization_code",
        "code": query_of(response["Location"])["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    tokens = form_post(Client(), "/oauth2/token", data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret))
    assert tokens.status_code == 200, tokens.content
    return jwt_verified_claims(tokens.json()["id_token"], keystore_jwks(organization=app.application.organization))


@pytest.mark.parametrize("logout_via", ["rp_initiated", "portal"])
def test_logout_from_one_app_sends_the_sid_to_both_apps(
    app_a, app_b, alice, root_org, django_capture_on_commit_callbacks, eager_celery, logout_via
):
    with logout_receiver() as receiver:
        for app, path in ((app_a, "/a/bcl"), (app_b, "/b/bcl")):
            app_login_settings_update(
                actor=None, application=app.application, backchannel_logout_uri=receiver.url(path)
            )
        browser = Client()
        first = id_token_of(browser, app_a, sign_in=True)
        second = id_token_of(browser, app_b, sign_in=False)  # single sign-on: no prompt
        session = AuthSession.objects.get(user=alice)
        assert first["sid"] == second["sid"] == str(session.pk)
        assert sorted(session.clients) == sorted([app_a.client_id, app_b.client_id])

        with django_capture_on_commit_callbacks(execute=True):
            if logout_via == "rp_initiated":
                response = browser.get("/oauth2/logout", {"client_id": app_a.client_id})
                # no hint naming the user: the confirmation page, then its form
                token = re.search(r'name="logout_token" value="([^"]+)"', response.content.decode()).group(1)
                done = browser.post("/oauth2/logout", {"client_id": app_a.client_id, "logout_token": token})
            else:
                done = browser.post("/authenticationendpoint/logout")
        assert done.status_code == 200
        a_tokens, b_tokens = receiver.tokens_for("/a/bcl"), receiver.tokens_for("/b/bcl")
        assert len(a_tokens) == 1
        assert len(b_tokens) == 1
        assert all(content_type == "application/x-www-form-urlencoded" for _p, content_type, _t in receiver.received)

    for token, app in ((a_tokens[0], app_a), (b_tokens[0], app_b)):
        claims = logout_token_claims(token, root_org)
        assert claims["aud"] == app.client_id
        assert claims["sid"] == first["sid"]
        assert claims["sub"] == first["sub"] == str(alice.pk)
        assert claims["iss"] == first["iss"]
        assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
        assert "nonce" not in claims
    # the browser is signed out of both: each application has to send the user to the portal again
    for app in (app_a, app_b):
        again = browser.get(authorize_url(app, pkce_pair()[1]))
        assert again.status_code == 302
        assert again["Location"].startswith(LOGIN)


def test_an_id_token_hint_logout_needs_no_confirmation_and_notifies(
    app_a, alice, root_org, django_capture_on_commit_callbacks, eager_celery
):
    with logout_receiver() as receiver:
        app_login_settings_update(actor=None, application=app_a.application, backchannel_logout_uri=receiver.url("/a"))
        browser = Client()
        verifier, challenge = pkce_pair()
        code_response = browser.get(
            sign_in_password(browser, browser.get(authorize_url(app_a, challenge))["Location"])["Location"]
        )
        data = {
            "grant_type": "authorization_code",
            "code": query_of(code_response["Location"])["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        raw = form_post(Client(), "/oauth2/token", data, HTTP_AUTHORIZATION=basic(app_a.client_id, app_a.secret))
        id_token = raw.json()["id_token"]
        with django_capture_on_commit_callbacks(execute=True):
            assert browser.get("/oauth2/logout", {"id_token_hint": id_token}).status_code == 200
        (token,) = receiver.tokens_for("/a")
    session = AuthSession.objects.get(user=alice)
    assert session.revoked_at is not None
    assert logout_token_claims(token, root_org)["sid"] == str(session.pk)
