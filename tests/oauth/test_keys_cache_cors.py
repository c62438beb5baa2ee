"""Signing keys (RS256 and ES256, rotation), client-cache invalidation, CORS, and the expiry sweep."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model

from apps.applications.services import application_authorize_api, application_revoke_api
from apps.keystores.services import keystore_rotate
from apps.oauth.store import expired_clear
from tests.oauth.helpers import basic, form_post, jwt_parts, jwt_verified_claims, pkce_pair
from tests.oauth.test_authorization_code import exchange, get_code

TOKEN = "/oauth2/token"


def cc(client, app, scope=""):
    data = {"grant_type": "client_credentials", "scope": scope}
    return form_post(client, TOKEN, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret))


def test_rotation_to_es256_signs_with_the_new_key_and_keeps_the_old_one_verifiable(
    client, root_org, m2m, browser, web, django_capture_on_commit_callbacks
):
    old_token = cc(client, m2m).json()["access_token"]
    assert jwt_parts(old_token)[0]["alg"] == "RS256"
    with django_capture_on_commit_callbacks(execute=True):
        keystore_rotate(actor=None, organization=root_org, algorithm="ES256")
    new_token = cc(client, m2m).json()["access_token"]
    assert jwt_parts(new_token)[0]["alg"] == "ES256"
    jwks = client.get("/oauth2/jwks").json()
    assert jwt_verified_claims(new_token, jwks)["sub"] == m2m.client_id
    assert jwt_verified_claims(old_token, jwks)["sub"] == m2m.client_id
    document = client.get("/.well-known/openid-configuration").json()
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    verifier, challenge = pkce_pair()
    body = exchange(client, web, get_code(browser, web, challenge=challenge), verifier).json()
    assert jwt_verified_claims(body["id_token"], jwks)["aud"] == web.client_id


def test_changes_to_authorized_apis_take_effect_on_the_next_token(client, m2m, billing_api):
    assert "scope" not in cc(client, m2m, "billing:read").json()
    authorized = application_authorize_api(
        actor=None, application=m2m.application, api_resource=billing_api, scopes=["billing:read"]
    )
    assert cc(client, m2m, "billing:read").json()["scope"] == "billing:read"
    application_revoke_api(actor=None, authorized_api=authorized)
    assert "scope" not in cc(client, m2m, "billing:read").json()


def test_token_endpoint_cors_only_for_registered_origins(client, browser, root_org, make_app):
    spa = make_app(root_org, "react-application", "spa", allowed_origins=["https://rp.example.com"])
    preflight = client.options(TOKEN, HTTP_ORIGIN="https://rp.example.com")
    assert preflight.status_code == 204
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    verifier, challenge = pkce_pair()
    code = get_code(browser, spa, challenge=challenge)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": spa.client_id,
        "code_verifier": verifier,
        "redirect_uri": "https://rp.example.com/callback",
    }
    allowed = form_post(client, TOKEN, data, HTTP_ORIGIN="https://rp.example.com")
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == "https://rp.example.com"
    assert "Access-Control-Allow-Credentials" not in allowed
    other = form_post(client, TOKEN, {**data, "code": "x"}, HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


def test_expired_rows_are_swept(client, browser, web, m2m):
    cc(client, m2m)
    get_code(browser, web, challenge=pkce_pair()[1])
    get_access_token_model().objects.update(expires=timezone.now() - timedelta(hours=2))
    get_grant_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
    counts = expired_clear()
    assert counts["codes"] == 1
    assert counts["access_tokens"] == 1
    assert not get_access_token_model().objects.exists()
