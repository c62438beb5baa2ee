"""client_credentials: client authentication, the M2M scope rule, JWT/opaque tokens, errors, query budget."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from apps.applications.models import Application
from apps.applications.services import application_regenerate_secret
from apps.keystores.selectors import keystore_jwks
from tests.oauth.conftest import ORDERS
from tests.oauth.helpers import basic, form_post, jwt_parts, jwt_verified_claims

TOKEN = "/oauth2/token"


def cc(client: Client, app, data=None, *, url=TOKEN, post_auth=False, **extra):
    data = {"grant_type": "client_credentials", **(data or {})}
    if post_auth:
        data.update(client_id=app.client_id, client_secret=app.secret)
        return form_post(client, url, data, **extra)
    return form_post(client, url, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret), **extra)


def test_basic_auth_issues_a_verifiable_rfc9068_jwt(client, m2m, root_org):
    response = cc(client, m2m, {"scope": "orders:read"})
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "orders:read"
    assert "refresh_token" not in body
    assert "id_token" not in body
    header, _ = jwt_parts(body["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["kid"]
    claims = jwt_verified_claims(body["access_token"], keystore_jwks(organization=root_org))
    assert claims["iss"] == "http://127.0.0.1:8000/oauth2/token"
    assert claims["sub"] == m2m.client_id == claims["client_id"] == claims["aud"]
    assert claims["aut"] == "APPLICATION"
    assert claims["org_id"] == str(root_org.id)
    assert claims["org_handle"] == "root"
    assert claims["org_name"] == root_org.name
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 5
    assert claims["jti"]


def test_post_auth_works_and_tokens_are_stored_as_checksums_only(client, m2m):
    from oauth2_provider.models import get_access_token_model

    response = cc(client, m2m, {"scope": "orders:read orders:write"}, post_auth=True)
    assert response.status_code == 200
    assert response.json()["scope"] == "orders:read orders:write"
    row = get_access_token_model().objects.get()
    assert row.token == ""
    assert len(row.token_checksum) == 64


def test_scope_rule_drops_what_the_app_is_not_authorized_for(client, root_org, orders_api, make_app):
    app = make_app(root_org, "m2m-application", "narrow", apis={orders_api: ["orders:read"]})
    body = cc(client, app, {"scope": "orders:read orders:write billing:read internal_user_mgt_list"}).json()
    assert body["scope"] == "orders:read"
    assert "scope" not in cc(client, app).json()  # nothing requested, nothing granted


def test_resource_binds_the_audience(client, root_org, m2m):
    body = cc(client, m2m, {"scope": "orders:read", "resource": ORDERS}).json()
    claims = jwt_verified_claims(body["access_token"], keystore_jwks(organization=root_org))
    assert claims["aud"] == ORDERS


def test_unknown_or_unauthorized_resource_is_invalid_target(client, m2m, billing_api):
    for resource in ("https://api.example.com/unknown", "https://api.example.com/billing", ORDERS + "#frag"):
        response = cc(client, m2m, {"resource": resource})
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_target"


def test_opaque_tokens_work_with_the_management_api(client, root_org, make_app):
    from apps.applications.models import APIResource
    from apps.applications.services import application_authorize_api

    app = make_app(root_org, "m2m-application", "opaque-admin", access_token_format="Default")
    users_api = APIResource.objects.get(identifier="/api/server/v1/users", organization=None)
    application_authorize_api(
        actor=None, application=app.application, api_resource=users_api, scopes=["internal_user_mgt_list"]
    )
    body = cc(client, app, {"scope": "internal_user_mgt_list"}).json()
    assert body["access_token"].count(".") == 0
    assert len(body["access_token"]) >= 43
    listing = client.get("/api/server/v1/users", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert listing.status_code == 200


def test_jwt_tokens_work_with_the_management_api(client, root_org, make_app):
    from apps.applications.models import APIResource
    from apps.applications.services import application_authorize_api

    app = make_app(root_org, "m2m-application", "jwt-admin")
    users_api = APIResource.objects.get(identifier="/api/server/v1/users", organization=None)
    application_authorize_api(
        actor=None, application=app.application, api_resource=users_api, scopes=["internal_user_mgt_list"]
    )
    token = cc(client, app, {"scope": "internal_user_mgt_list"}).json()["access_token"]
    assert client.get("/api/server/v1/users", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


@pytest.mark.parametrize(
    ("auth", "error"),
    [
        ("wrong-secret", "invalid_client"),
        ("unknown-client", "invalid_client"),
    ],
)
def test_bad_credentials_are_invalid_client_with_a_challenge(client, m2m, auth, error):
    client_id, secret = (m2m.client_id, "nope") if auth == "wrong-secret" else ("nobody", "x")
    response = form_post(
        client, TOKEN, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(client_id, secret)
    )
    assert response.status_code == 401
    assert response.json()["error"] == error
    assert response["WWW-Authenticate"].startswith("Basic realm=")


def test_client_secret_of_another_tenant_is_refused(client, other_tenant, make_app, m2m):
    acme_app = make_app(other_tenant, "m2m-application", "acme-m2m")
    assert cc(client, acme_app).status_code == 401  # root's token endpoint
    assert cc(client, acme_app, url="/t/acme/oauth2/token").status_code == 200
    assert cc(client, m2m, url="/t/acme/oauth2/token").status_code == 401


def test_public_clients_cannot_use_client_credentials(client, root_org, make_app):
    spa = make_app(root_org, "react-application", "spa")
    response = form_post(client, TOKEN, {"grant_type": "client_credentials", "client_id": spa.client_id})
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_grant_not_allowed_for_the_app_is_unauthorized_client(client, web):
    response = cc(client, web)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:saml2-bearer"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ([("grant_type", "client_credentials"), ("scope", "a"), ("scope", "b")], "invalid_request"),
        ({"grant_type": "client_credentials", "scope": 'bad"scope'}, "invalid_scope"),
    ],
)
def test_malformed_token_requests(client, m2m, data, error):
    response = form_post(client, TOKEN, data, HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret))
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_only_form_posts_are_accepted(client, m2m):
    auth = basic(m2m.client_id, m2m.secret)
    response = client.post(
        TOKEN, {"grant_type": "client_credentials"}, content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    response = client.get(TOKEN, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"
    response = form_post(client, TOKEN + "?scope=x", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 400


def test_two_authentication_methods_at_once_are_refused(client, m2m):
    data = {"grant_type": "client_credentials", "client_id": m2m.client_id, "client_secret": m2m.secret}
    response = form_post(client, TOKEN, data, HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_regenerated_secret_takes_effect_even_with_a_warm_cache(client, m2m):
    assert cc(client, m2m).status_code == 200  # cache warm
    new_secret = application_regenerate_secret(actor=None, application=m2m.application)
    assert cc(client, m2m).status_code == 401
    m2m.secret = new_secret
    assert cc(client, m2m).status_code == 200


def test_a_change_made_by_another_process_is_caught_by_the_version_guard(client, m2m):
    assert cc(client, m2m, {"scope": "orders:write"}).json()["scope"] == "orders:write"
    # Another process removes the grant type: no signal reaches this process's cache.
    Application.objects.filter(pk=m2m.application.pk).update(grant_types=["authorization_code"])
    from django.utils import timezone

    Application.objects.filter(pk=m2m.application.pk).update(updated=timezone.now())
    response = cc(client, m2m)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_deleted_application_cannot_mint_from_a_warm_cache(client, m2m):
    assert cc(client, m2m).status_code == 200
    Application.objects.filter(pk=m2m.application.pk).delete()
    assert cc(client, m2m).status_code == 401


def test_client_credentials_costs_two_queries_with_a_warm_cache(client, m2m, django_assert_max_num_queries):
    # Warm the client and signing-key caches (the tenant's first key is cached on commit, which a test
    # transaction never reaches, so the second request caches it).
    for _ in range(2):
        assert cc(client, m2m, {"scope": "orders:read"}).status_code == 200
    # tenant resolution + the guarded INSERT
    with django_assert_max_num_queries(2):
        response = cc(client, m2m, {"scope": "orders:read"})
    assert response.status_code == 200
