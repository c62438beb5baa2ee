"""authorization_code + PKCE: the exchange, ID tokens, the user scope rule, and every way it must fail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from apps.keystores.selectors import keystore_jwks
from tests.oauth.conftest import BILLING, ORDERS, REDIRECT
from tests.oauth.helpers import basic, form_post, jwt_verified_claims, pkce_pair, query_of

TOKEN = "/oauth2/token"


def get_code(browser: Client, app, *, scope="openid orders:read", challenge=None, url="/oauth2/authorize", **more):
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st-1",
        **more,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    response = browser.get(url, params)
    assert response.status_code == 302, response.content
    query = query_of(response["Location"])
    assert "code" in query, query
    assert query["state"] == "st-1"
    return query["code"]


def exchange(client: Client, app, code, verifier, *, url=TOKEN, **more):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **more}
    if verifier is not None:
        data["code_verifier"] = verifier
    if app.secret:
        return form_post(client, url, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret))
    return form_post(client, url, {**data, "client_id": app.client_id})


def test_code_flow_issues_access_refresh_and_id_tokens(client, browser, web, alice, root_org):
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, scope="openid profile email orders:read", challenge=challenge, nonce="n-0S6")
    response = exchange(client, web, code, verifier)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"]
    assert body["id_token"]
    assert body["scope"] == "openid profile email orders:read"
    jwks = keystore_jwks(organization=root_org)
    access = jwt_verified_claims(body["access_token"], jwks)
    assert access["sub"] == str(alice.id)
    assert access["client_id"] == web.client_id
    assert access["aut"] == "APPLICATION_USER"
    assert access["aud"] == web.client_id
    ident = jwt_verified_claims(body["id_token"], jwks)
    assert ident["iss"] == "http://127.0.0.1:8000/oauth2/token"
    assert ident["aud"] == web.client_id
    assert ident["sub"] == str(alice.id)
    assert ident["nonce"] == "n-0S6"
    assert ident["auth_time"] <= ident["iat"]
    assert ident["email"] == "alice@example.com"
    assert ident["preferred_username"] == "alice"
    assert ident["given_name"] == "Alice"
    assert ident["family_name"] == "Liddell"
    import base64
    import hashlib

    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert ident["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert "phone_number" not in ident


def test_a_user_without_a_role_holding_a_scope_never_receives_it(client, browser, web):
    verifier, challenge = pkce_pair()
    # The app is authorized for orders:write and billing:read; alice's role only holds orders:read.
    code = get_code(browser, web, scope="orders:read orders:write billing:read", challenge=challenge)
    body = exchange(client, web, code, verifier).json()
    assert body["scope"] == "orders:read"


def test_application_roles_grant_scopes_for_that_application_only(
    client, web, root_org, make_user, make_app, orders_api
):
    from apps.applications.models import Scope
    from apps.users.models import Role

    bob = make_user(root_org, "bob")
    role = Role.objects.create(
        organization=root_org, name="writers", audience=Role.Audience.APPLICATION, audience_application=web.application
    )
    role.permissions.set(Scope.objects.filter(name="orders:write"))
    role.users.add(bob)
    other = make_app(root_org, name="other", apis={orders_api: ["orders:write"]})
    browser = Client()
    browser.force_login(bob)
    for app, expected in ((web, "orders:write"), (other, None)):
        verifier, challenge = pkce_pair()
        body = exchange(client, app, get_code(browser, app, scope="orders:write", challenge=challenge), verifier).json()
        assert body.get("scope") == expected


def test_resource_on_authorize_binds_the_audience_and_narrows_scopes(client, browser, web, root_org, make_user):
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, scope="orders:read", challenge=challenge, resource=ORDERS)
    body = exchange(client, web, code, verifier).json()
    claims = jwt_verified_claims(body["access_token"], keystore_jwks(organization=root_org))
    assert claims["aud"] == ORDERS
    assert claims["scope"] == "orders:read"


def test_token_request_resource_must_be_within_the_authorized_ones(client, browser, web):
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, scope="orders:read", challenge=challenge, resource=ORDERS)
    response = exchange(client, web, code, verifier, resource=BILLING)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"


def test_wrong_pkce_verifier_is_invalid_grant(client, browser, web):
    _verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    other_verifier, _ = pkce_pair()
    for verifier in (other_verifier, None, "short"):
        response = exchange(client, web, code, verifier)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"


def test_a_reused_code_is_refused_and_revokes_the_tokens_it_issued(client, browser, web):
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    first = exchange(client, web, code, verifier).json()
    assert get_access_token_model().objects.count() == 1
    second = exchange(client, web, code, verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert get_access_token_model().objects.count() == 0
    refreshed = form_post(
        client,
        TOKEN,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        HTTP_AUTHORIZATION=basic(web.client_id, web.secret),
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    assert get_refresh_token_model().objects.filter(revoked__isnull=True).count() == 0


def test_mismatched_redirect_uri_is_invalid_grant(client, browser, web):
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    response = exchange(client, web, code, verifier, redirect_uri="https://rp.example.com/other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(client, browser, web):
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    get_grant_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = exchange(client, web, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not get_grant_model().objects.exists()


def test_codes_expire_after_sixty_seconds_and_are_stored_as_checksums(browser, web):
    _verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    grant = get_grant_model().objects.get()
    assert grant.code != code
    assert len(grant.code) == 64
    assert timedelta(seconds=55) < grant.expires - timezone.now() <= timedelta(seconds=60)


def test_a_code_of_another_client_is_invalid_grant(client, browser, web, root_org, make_app, orders_api):
    other = make_app(root_org, name="other", apis={orders_api: ["orders:read"]})
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    response = exchange(client, other, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_of_tenant_a_cannot_be_exchanged_at_tenant_b(client, browser, web):
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    response = exchange(client, web, code, verifier, url="/t/acme/oauth2/token")
    assert response.status_code in (401, 404)


def test_public_client_exchanges_with_pkce_only(client, browser, root_org, make_app, orders_api):
    spa = make_app(root_org, "react-application", "spa", apis={orders_api: ["orders:read"]})
    assert spa.secret is None
    verifier, challenge = pkce_pair()
    body = exchange(client, spa, get_code(browser, spa, challenge=challenge), verifier).json()
    assert body["access_token"]
    assert body["refresh_token"]


def test_pkce_downgrade_is_refused(client, browser, root_org, make_app):
    app = make_app(root_org, name="no-pkce", pkce_mandatory=False)
    code = get_code(browser, app, scope="openid")
    verifier, _ = pkce_pair()
    response = exchange(client, app, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_confidential_client_without_mandatory_pkce_may_skip_it(client, browser, root_org, make_app):
    app = make_app(root_org, name="no-pkce", pkce_mandatory=False)
    response = exchange(client, app, get_code(browser, app, scope="openid"), None)
    assert response.status_code == 200


@pytest.mark.parametrize("secret", ["wrong", None])
def test_confidential_client_must_authenticate_for_the_exchange(client, browser, web, secret):
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    if secret:
        response = form_post(client, TOKEN, data, HTTP_AUTHORIZATION=basic(web.client_id, secret))
    else:
        response = form_post(client, TOKEN, {**data, "client_id": web.client_id})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
