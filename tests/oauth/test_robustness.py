"""Hostile input never produces a 500: NUL bytes, huge values, odd encodings, on every endpoint."""

from __future__ import annotations

import pytest

from tests.oauth.conftest import REDIRECT
from tests.oauth.helpers import basic, form_post

NASTY = ["\x00", "a\x00b", "x" * 20_000, "é" * 300, "%00", "../../etc/passwd", "<script>", "\\", " ", "\r\n"]


@pytest.mark.parametrize("value", NASTY)
def test_token_endpoint_survives_hostile_values(client, m2m, web, value):
    for data in (
        {"grant_type": value},
        {"grant_type": "client_credentials", "scope": value},
        {"grant_type": "client_credentials", "resource": value},
        {"grant_type": "authorization_code", "code": value, "redirect_uri": value, "code_verifier": value},
        {"grant_type": "refresh_token", "refresh_token": value, "scope": value},
    ):
        for auth in (basic(m2m.client_id, m2m.secret), basic(value, value), basic(web.client_id, web.secret)):
            response = form_post(client, "/oauth2/token", data, HTTP_AUTHORIZATION=auth)
            assert response.status_code in (200, 400, 401), (data, response.content[:200])
        response = form_post(client, "/oauth2/token", {**data, "client_id": value, "client_secret": value})
        assert response.status_code in (400, 401)


@pytest.mark.parametrize("value", NASTY)
def test_introspect_revoke_userinfo_survive_hostile_values(client, m2m, value):
    auth = basic(m2m.client_id, m2m.secret)
    for url in ("/oauth2/introspect", "/oauth2/revoke"):
        response = form_post(client, url, {"token": value, "token_type_hint": value}, HTTP_AUTHORIZATION=auth)
        assert response.status_code in (200, 400)
    response = form_post(client, "/oauth2/userinfo", {"access_token": value})
    assert response.status_code in (400, 401)


@pytest.mark.parametrize("value", NASTY)
def test_authorize_login_logout_survive_hostile_values(browser, web, value):
    base = {
        "response_type": "code",
        "client_id": web.client_id,
        "redirect_uri": REDIRECT,
        "code_challenge_method": "S256",
        "code_challenge": "a" * 43,
    }
    for name in ("client_id", "redirect_uri", "scope", "state", "nonce", "resource", "prompt", "code_challenge"):
        response = browser.get("/oauth2/authorize", {**base, name: value})
        assert response.status_code in (302, 400), (name, response.status_code)
    for params in ({"id_token_hint": value}, {"client_id": value, "post_logout_redirect_uri": value}):
        assert browser.get("/oauth2/logout", params).status_code in (200, 400)
    assert browser.post("/oauth2/login", {"username": value, "password": value, "next": value}).status_code in (
        302,
        400,
    )
