"""Security headers and cookie settings that every deployment relies on."""

from __future__ import annotations

import re

from django.test import Client, override_settings


def _csp(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


LOGIN = "/authenticationendpoint/login"


def test_pages_send_a_csp_without_inline_scripts(client, root_org):
    response = client.get("/console/login/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert response.status_code == 200
    csp = _csp(response)
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_contain_no_inline_scripts_or_styles(client, root_org):
    for path in ["/console/login/", "/myaccount/login/", "/oauth2/login"]:
        response = client.get(path, follow=True)
        assert response.status_code == 200
        html = response.content.decode()
        assert "csrfmiddlewaretoken" in html  # the sign-in page itself, not an empty redirect
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {path}"
        assert "style=" not in html, f"inline style attribute on {path}"
        assert "<style" not in html, f"inline style block on {path}"


def test_forms_carry_a_csrf_token(root_org):
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN)
    assert b"csrfmiddlewaretoken" in page.content
    refused = client.post(LOGIN, {"username": "admin", "password": "x"})
    assert refused.status_code == 403


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_SSL_REDIRECT=False)
def test_hsts_is_sent_over_https_in_production(root_org):
    response = Client().get(LOGIN, secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_cookie_flags():
    import importlib
    import os

    import iam.settings as settings_module

    os.environ["IAM_ENV"] = "production"
    os.environ["SECRET_KEY"] = "x" * 50
    os.environ["IAM_MASTER_KEY"] = "y" * 44
    try:
        prod = importlib.reload(settings_module)
        assert prod.DEBUG is False
        assert prod.SESSION_COOKIE_SECURE is True
        assert prod.CSRF_COOKIE_SECURE is True
        assert prod.SESSION_COOKIE_HTTPONLY is True
        assert prod.SECURE_HSTS_SECONDS > 0
    finally:
        del os.environ["IAM_ENV"]
        del os.environ["SECRET_KEY"]
        del os.environ["IAM_MASTER_KEY"]
        importlib.reload(settings_module)
