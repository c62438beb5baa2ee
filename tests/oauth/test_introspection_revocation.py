"""Introspection (RFC 7662) and revocation (RFC 7009), including cross-tenant isolation."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from tests.oauth.helpers import basic, form_post
from tests.oauth.test_refresh import login_tokens, refresh

INTROSPECT = "/oauth2/introspect"
REVOKE = "/oauth2/revoke"


def cc_token(client, app, url="/oauth2/token", **more):
    data = {"grant_type": "client_credentials", **more}
    return form_post(client, url, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret)).json()


def introspect(client, app, token, url=INTROSPECT, **more):
    return form_post(client, url, {"token": token, **more}, HTTP_AUTHORIZATION=basic(app.client_id, app.secret))


def test_introspection_of_a_client_credentials_token(client, m2m, root_org):
    token = cc_token(client, m2m, scope="orders:read")["access_token"]
    body = introspect(client, m2m, token).json()
    assert body["active"] is True
    assert body["scope"] == "orders:read"
    assert body["client_id"] == m2m.client_id
    assert body["sub"] == m2m.client_id
    assert body["aud"] == m2m.client_id
    assert body["token_type"] == "Bearer"
    assert body["aut"] == "APPLICATION"
    assert body["iss"] == "http://127.0.0.1:8000/oauth2/token"
    assert body["org_id"] == str(root_org.id)
    assert body["org_handle"] == "root"
    assert body["exp"] - body["iat"] == 3600
    assert "username" not in body


def test_introspection_of_user_tokens_by_a_resource_server(client, browser, web, m2m, alice):
    tokens = login_tokens(client, browser, web)
    body = introspect(client, m2m, tokens["access_token"]).json()  # another client of the tenant
    assert body["active"]
    assert body["username"] == "alice"
    assert body["sub"] == str(alice.id)
    assert body["aut"] == "APPLICATION_USER"
    refresh_body = introspect(client, m2m, tokens["refresh_token"], token_type_hint="refresh_token").json()
    assert refresh_body["active"]
    assert refresh_body["token_type"] == "refresh_token"


def test_unknown_expired_and_revoked_tokens_are_inactive(client, m2m):
    assert introspect(client, m2m, "garbage").json() == {"active": False}
    token = cc_token(client, m2m)["access_token"]
    get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert introspect(client, m2m, token).json() == {"active": False}
    token = cc_token(client, m2m)["access_token"]
    assert (
        form_post(client, REVOKE, {"token": token}, HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret)).status_code
        == 200
    )
    assert introspect(client, m2m, token).json() == {"active": False}


def test_a_token_of_tenant_a_is_inactive_at_tenant_b(client, m2m, other_tenant, make_app):
    acme_app = make_app(other_tenant, "m2m-application", "acme-rs")
    token = cc_token(client, m2m)["access_token"]
    assert introspect(client, acme_app, token, url="/t/acme/oauth2/introspect").json() == {"active": False}
    acme_token = cc_token(client, acme_app, url="/t/acme/oauth2/token")["access_token"]
    assert introspect(client, m2m, acme_token).json() == {"active": False}
    assert introspect(client, acme_app, acme_token, url="/t/acme/oauth2/introspect").json()["active"] is True


def test_introspection_needs_a_confidential_client(client, m2m, root_org, make_app):
    token = cc_token(client, m2m)["access_token"]
    assert form_post(client, INTROSPECT, {"token": token}).status_code == 401
    spa = make_app(root_org, "react-application", "spa")
    response = form_post(client, INTROSPECT, {"token": token, "client_id": spa.client_id})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert introspect(client, m2m, "").status_code == 400


def test_revoking_a_refresh_token_revokes_its_family(client, browser, web):
    first = login_tokens(client, browser, web)
    second = refresh(client, web, first["refresh_token"]).json()
    response = form_post(
        client,
        REVOKE,
        {"token": second["refresh_token"], "token_type_hint": "refresh_token"},
        HTTP_AUTHORIZATION=basic(web.client_id, web.secret),
    )
    assert response.status_code == 200
    assert get_access_token_model().objects.count() == 0
    assert not get_refresh_token_model().objects.filter(revoked__isnull=True).exists()
    assert introspect(client, web, second["access_token"]).json() == {"active": False}


def test_revoking_an_access_token_also_ends_its_refresh_token(client, browser, web):
    tokens = login_tokens(client, browser, web)
    form_post(client, REVOKE, {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=basic(web.client_id, web.secret))
    assert refresh(client, web, tokens["refresh_token"]).status_code == 400


def test_revocation_of_unknown_or_foreign_tokens_is_a_silent_200(client, m2m, root_org, make_app, orders_api):
    other = make_app(root_org, "m2m-application", "other-m2m", apis={orders_api: ["orders:read"]})
    token = cc_token(client, m2m)["access_token"]
    auth = basic(other.client_id, other.secret)
    assert form_post(client, REVOKE, {"token": "unknown"}, HTTP_AUTHORIZATION=auth).status_code == 200
    assert form_post(client, REVOKE, {"token": token}, HTTP_AUTHORIZATION=auth).status_code == 200
    assert introspect(client, m2m, token).json()["active"] is True  # not other's token to revoke


def test_public_clients_may_revoke_their_own_tokens(client, browser, root_org, make_app):
    spa = make_app(root_org, "react-application", "spa")
    tokens = login_tokens(client, browser, spa, scope="openid")
    response = form_post(client, REVOKE, {"token": tokens["refresh_token"], "client_id": spa.client_id})
    assert response.status_code == 200
    assert refresh(client, spa, tokens["refresh_token"]).status_code == 400


def test_revocation_requires_client_authentication(client, m2m):
    token = cc_token(client, m2m)["access_token"]
    response = form_post(client, REVOKE, {"token": token})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
