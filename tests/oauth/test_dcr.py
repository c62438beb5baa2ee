"""Dynamic client registration (RFC 7591): public (MCP) and confidential clients, the policy modes, RFC 7591
errors for every kind of bad metadata, and tenant awareness."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from jwcrypto import jwk, jwt

from apps.applications.models import Application, AuthorizedAPI
from apps.applications.services import api_resource_create
from tests.oauth.helpers import basic, form_post

REGISTER = "/oauth2/register"
CALLBACK = "http://127.0.0.1:33418/callback"
MCP = "https://mcp.example.com/mcp"


@pytest.fixture(autouse=True)
def _tenant(root_org):
    """Every request goes to the default tenant (or acme) that exists."""


def register(client, metadata: Any, url: str = REGISTER, **extra: Any):
    body = metadata if isinstance(metadata, str) else json.dumps(metadata)
    return client.post(url, body, content_type="application/json", **extra)


def mcp_metadata(**more: Any) -> dict[str, Any]:
    return {
        "client_name": "Claude Code",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        **more,
    }


@pytest.fixture
def mcp_server(root_org):
    return api_resource_create(
        actor=None,
        organization=root_org,
        name="Finance tools",
        identifier=MCP,
        resource_type="MCP",
        scopes=[{"name": "finance:read"}, {"name": "finance:approve"}],
    )


def test_a_public_mcp_client_registers(client, root_org, mcp_server):
    response = register(client, mcp_metadata(scope="openid finance:read unknown:scope"))
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert "client_secret" not in body
    assert isinstance(body["client_id_issued_at"], int)
    assert abs(body["client_id_issued_at"] - time.time()) < 60
    assert body["redirect_uris"] == [CALLBACK]
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "none"
    assert body["client_name"] == "Claude Code"
    assert body["scope"] == "openid finance:read"
    app = Application.objects.get(client_id=body["client_id"])
    assert app.organization == root_org
    assert app.template_id == "mcp-client-application"
    assert app.client_type == Application.CLIENT_PUBLIC
    assert app.pkce_mandatory is True
    assert app.registration_source == "dcr"
    assert app.skip_authorization is False
    assert app.allowed_origins == "http://127.0.0.1:33418"
    authorized = AuthorizedAPI.objects.get(application=app)
    assert authorized.api_resource == mcp_server
    assert sorted(authorized.scopes.values_list("name", flat=True)) == ["finance:read"]


def test_without_scope_the_client_is_authorized_for_every_mcp_server_scope(client, mcp_server, orders_api):
    body = register(client, mcp_metadata()).json()
    assert "scope" not in body
    authorized = AuthorizedAPI.objects.get(application__client_id=body["client_id"])  # not the business API
    assert sorted(authorized.scopes.values_list("name", flat=True)) == ["finance:approve", "finance:read"]


def test_mcp_servers_are_not_authorized_when_the_policy_says_so(client, settings, mcp_server):
    settings.IAM_DCR_AUTHORIZE_MCP_SERVERS = False
    body = register(client, mcp_metadata()).json()
    assert not AuthorizedAPI.objects.filter(application__client_id=body["client_id"]).exists()


def test_a_confidential_client_gets_its_secret_once(client, root_org):
    response = register(client, {"client_name": "Backend", "grant_types": ["client_credentials"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_secret"]
    assert body["client_secret_expires_at"] == 0
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["response_types"] == []
    app = Application.objects.get(client_id=body["client_id"])
    assert app.template_id == "oidc-web-application"
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert body["client_secret"] not in (app.client_secret, app.client_secret_hash)
    token = form_post(
        client,
        "/oauth2/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(body["client_id"], body["client_secret"]),
    )
    assert token.status_code == 200


def test_rfc7591_defaults(client):
    body = register(client, {"redirect_uris": ["https://app.example.com/cb"]}).json()
    assert body["grant_types"] == ["authorization_code"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["client_name"] == "Dynamic client"
    assert body["client_secret"]


def test_the_same_name_twice_gets_two_clients(client):
    first = register(client, mcp_metadata()).json()
    second = register(client, mcp_metadata()).json()
    assert first["client_id"] != second["client_id"]
    assert first["client_name"] == "Claude Code"
    assert second["client_name"].startswith("Claude Code (")


def test_private_key_jwt_clients_register_their_keys(client):
    key = jwk.JWK.generate(kty="EC", crv="P-256", kid="k1")
    metadata = {
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [key.export_public(as_dict=True)]},
    }
    body = register(client, metadata).json()
    assert "client_secret" not in body
    assert body["jwks"]["keys"][0]["kid"] == "k1"
    now = int(time.time())
    claims = {
        "iss": body["client_id"],
        "sub": body["client_id"],
        "aud": "http://127.0.0.1:8000/oauth2/token",
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    assertion = jwt.JWT(header={"alg": "ES256", "kid": "k1"}, claims=json.dumps(claims))
    assertion.make_signed_token(key)
    token = form_post(
        client,
        "/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion.serialize(),
        },
    )
    assert token.status_code == 200, token.content


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        (mcp_metadata(redirect_uris=["http://evil.example.com/cb"]), "invalid_redirect_uri"),
        (mcp_metadata(redirect_uris=["https://app.example.com/cb#frag"]), "invalid_redirect_uri"),
        (mcp_metadata(redirect_uris=["javascript:alert(1)"]), "invalid_redirect_uri"),
        (mcp_metadata(redirect_uris=[]), "invalid_redirect_uri"),
        (mcp_metadata(redirect_uris="https://app.example.com/cb"), "invalid_redirect_uri"),
        (mcp_metadata(post_logout_redirect_uris=["ftp://x/"]), "invalid_redirect_uri"),
        (mcp_metadata(grant_types=["implicit"], response_types=["token"]), "invalid_client_metadata"),
        (mcp_metadata(grant_types=["password"]), "invalid_client_metadata"),
        (mcp_metadata(grant_types=["urn:ietf:params:oauth:grant-type:token-exchange"]), "invalid_client_metadata"),
        (mcp_metadata(grant_types=[]), "invalid_client_metadata"),
        (mcp_metadata(grant_types="authorization_code"), "invalid_client_metadata"),
        (mcp_metadata(response_types=["code", "id_token"]), "invalid_client_metadata"),
        (mcp_metadata(response_types=[]), "invalid_client_metadata"),
        ({"grant_types": ["client_credentials"], "response_types": ["code"]}, "invalid_client_metadata"),
        (mcp_metadata(token_endpoint_auth_method="client_secret_jwt"), "invalid_client_metadata"),
        (mcp_metadata(grant_types=["client_credentials"], response_types=[]), "invalid_client_metadata"),
        (mcp_metadata(grant_types=["refresh_token"], response_types=[]), "invalid_client_metadata"),
        (
            {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "private_key_jwt"},
            "invalid_client_metadata",
        ),
        (
            {
                "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks_uri": "https://x/",
            },
            "invalid_client_metadata",
        ),
        (
            {
                "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
            },
            "invalid_client_metadata",
        ),
        (mcp_metadata(jwks="not-a-jwks"), "invalid_client_metadata"),
        (mcp_metadata(client_name=42), "invalid_client_metadata"),
        (mcp_metadata(client_name="a\x00b"), "invalid_client_metadata"),
        (mcp_metadata(scope=["openid"]), "invalid_client_metadata"),
        (mcp_metadata(scope='bad"scope'), "invalid_client_metadata"),
        (mcp_metadata(software_statement="eyJ.e30.sig"), "invalid_software_statement"),
        ([mcp_metadata()], "invalid_client_metadata"),
        ("{not json", "invalid_client_metadata"),
        ("null", "invalid_client_metadata"),
    ],
)
def test_bad_metadata(client, metadata, error):
    response = register(client, metadata)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == error
    assert response.json()["error_description"]
    assert not Application.objects.filter(registration_source="dcr").exists()


def test_only_json_posts(client):
    response = client.post(REGISTER, {"client_name": "x"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert client.get(REGISTER).status_code == 405
    preflight = client.options(REGISTER, HTTP_ORIGIN="https://app.example.com")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    too_big = register(client, mcp_metadata(client_name="x" * 70_000))
    assert too_big.status_code == 413


def test_registration_is_per_tenant(client, root_org, other_tenant):
    body = register(client, mcp_metadata(), url="/t/acme/oauth2/register").json()
    assert Application.objects.get(client_id=body["client_id"]).organization == other_tenant
    assert client.get("/t/acme/.well-known/oauth-authorization-server").json()["registration_endpoint"] == (
        "http://127.0.0.1:8000/t/acme/oauth2/register"
    )


def test_registrations_per_hour_are_capped(client, settings):
    settings.IAM_DCR_MAX_PER_HOUR = 2
    assert register(client, mcp_metadata()).status_code == 201
    assert register(client, mcp_metadata()).status_code == 201
    response = register(client, mcp_metadata())
    assert response.status_code == 429
    assert response["Retry-After"]


def test_off_means_no_endpoint_and_nothing_advertised(client, settings, root_org):
    settings.IAM_DCR_MODE = "off"
    assert register(client, mcp_metadata()).status_code == 404
    assert "registration_endpoint" not in client.get("/.well-known/openid-configuration").json()
    settings.IAM_DCR_MODE = "opne"  # a typo closes, never opens
    assert register(client, mcp_metadata()).status_code == 404


class TestInitialAccessToken:
    @pytest.fixture(autouse=True)
    def _mode(self, settings):
        settings.IAM_DCR_MODE = "initial-access-token"

    def test_no_token_is_401_with_a_bearer_challenge(self, client, root_org):
        response = register(client, mcp_metadata())
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "registration_endpoint" in client.get("/.well-known/openid-configuration").json()

    def test_an_invalid_token_is_invalid_token(self, client, root_org):
        response = register(client, mcp_metadata(), HTTP_AUTHORIZATION="Bearer nope")
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]

    def test_a_token_without_the_scope_is_insufficient(self, client, admin_user, mint_token):
        token = mint_token(admin_user, ["internal_application_mgt_create"])
        response = register(client, mcp_metadata(), HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 403
        assert 'error="insufficient_scope"' in response["WWW-Authenticate"]

    def test_a_token_with_internal_dcr_create_registers(self, client, admin_user, mint_token):
        token = mint_token(admin_user, ["internal_dcr_create"])
        response = register(client, mcp_metadata(), HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 201, response.content

    def test_a_token_of_another_tenant_is_invalid(self, client, admin_user, other_tenant, mint_token):
        token = mint_token(admin_user, ["internal_dcr_create"])
        response = register(client, mcp_metadata(), url="/t/acme/oauth2/register", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401

    def test_an_m2m_token_for_the_dcr_api_registers_unless_dpop_bound(self, client, root_org, make_app):
        from jwcrypto import jwk as jwk_module

        from apps.applications.models import APIResource
        from tests.oauth.test_token_exchange import dpop_proof

        dcr_api = APIResource.objects.get(identifier="/api/identity/oauth2/dcr/v1.1/register")
        registrar = make_app(root_org, "m2m-application", "registrar", apis={dcr_api: ["internal_dcr_create"]})
        auth = basic(registrar.client_id, registrar.secret)
        data = {"grant_type": "client_credentials", "scope": "internal_dcr_create"}
        bearer = form_post(client, "/oauth2/token", data, HTTP_AUTHORIZATION=auth).json()["access_token"]
        assert register(client, mcp_metadata(), HTTP_AUTHORIZATION=f"Bearer {bearer}").status_code == 201
        key = jwk_module.JWK.generate(kty="EC", crv="P-256")
        bound = form_post(client, "/oauth2/token", data, HTTP_AUTHORIZATION=auth, HTTP_DPOP=dpop_proof(key)).json()
        assert bound["token_type"] == "DPoP"
        response = register(client, mcp_metadata(), HTTP_AUTHORIZATION=f"Bearer {bound['access_token']}")
        assert response.status_code == 401
