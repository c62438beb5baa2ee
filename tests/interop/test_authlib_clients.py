"""Real third-party clients against a live server: Authlib's OAuth2Session (requests) for discovery,
authorization code + PKCE through the real login form, refresh, client credentials, introspection and
revocation; every JWT is verified with jwcrypto against the JWKS fetched over HTTP."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from jwcrypto import jwk, jwt

from apps.applications.services import api_resource_create, application_authorize_api
from tests.oauth.conftest import ORDERS, PASSWORD, REDIRECT

pytestmark = pytest.mark.django_db(transaction=True)
MCP_SERVER = "http://127.0.0.1:9/mcp"


def discover(base: str, issuer_path: str = "/oauth2/token") -> dict[str, Any]:
    session = OAuth2Session()
    document = session.get(f"{base}/.well-known/oauth-authorization-server{issuer_path}", withhold_token=True).json()
    oidc = session.get(f"{base}{issuer_path}/.well-known/openid-configuration", withhold_token=True).json()
    assert document == oidc
    assert document["issuer"] == f"{base}{issuer_path}"
    return document


def verified(token: str, jwks: dict[str, Any], **expected: Any) -> dict[str, Any]:
    """jwcrypto verifies the signature and the given claims (and exp/nbf)."""
    keyset = jwk.JWKSet.from_json(json.dumps(jwks))
    parsed = jwt.JWT(jwt=token, key=keyset, check_claims={"exp": None, **expected})
    return json.loads(parsed.claims)


def log_in_and_get_callback(authorization_url: str, username: str, password: str = PASSWORD) -> str:
    """Drive the authorize endpoint and the real login form over HTTP, as a browser would."""
    browser = requests.Session()
    url = authorization_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and 'name="decision"' in response.text:
            # The consent page of a third-party (e.g. dynamically registered) application: allow.
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
            action = re.search(r'<form method="post" action="([^"]+)"', response.text).group(1)
            request = re.search(r'name="request" value="([^"]*)"', response.text).group(1)
            form = {"csrfmiddlewaretoken": csrf, "request": html.unescape(request), "decision": "allow"}
            consent_url = urljoin(url, action)
            response = browser.post(consent_url, data=form, allow_redirects=False, timeout=10, headers={"Referer": url})
        elif response.status_code == 200 and "csrfmiddlewaretoken" in response.text:
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
            form = {"csrfmiddlewaretoken": csrf, "username": username, "password": password}
            next_field = re.search(r'name="next" value="([^"]+)"', response.text)
            if next_field:
                form["next"] = next_field.group(1).replace("&amp;", "&")
            response = browser.post(url, data=form, allow_redirects=False, timeout=10, headers={"Referer": url})
        assert response.status_code == 302, response.text[:500]
        url = urljoin(url, response.headers["Location"])
        if url.startswith(REDIRECT):
            return url
    raise AssertionError("no redirect to the client")


@pytest.fixture
def data(root_org, orders_api, make_app, make_user) -> dict[str, Any]:
    web = make_app(root_org, apis={orders_api: ["orders:read", "orders:write"]})
    m2m = make_app(root_org, "m2m-application", "m2m", apis={orders_api: ["orders:read"]})
    make_user(root_org, "alice", ["orders:read"], email="alice@example.com", given_name="Alice")
    return {"web": web, "m2m": m2m}


def test_code_pkce_refresh_userinfo_introspection_revocation(server, data, root_org):
    meta = discover(server)
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()
    web, m2m = data["web"], data["m2m"]
    session = OAuth2Session(
        web.client_id,
        web.secret,
        scope="openid profile email orders:read orders:write",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(48)
    nonce = generate_token(16)
    url, _state = session.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    callback = log_in_and_get_callback(url, "alice")
    token = session.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert token["scope"] == "openid profile email orders:read"  # alice's role lacks orders:write
    access = verified(token["access_token"], jwks, iss=meta["issuer"], client_id=web.client_id)
    ident = verified(token["id_token"], jwks, iss=meta["issuer"], aud=web.client_id, nonce=nonce)
    assert access["sub"] == ident["sub"]
    assert access["aut"] == "APPLICATION_USER"
    assert ident["email"] == "alice@example.com"

    userinfo = session.get(meta["userinfo_endpoint"], timeout=10)
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == ident["sub"]

    refreshed = session.refresh_token(meta["token_endpoint"])  # Authlib sends its original scope: dropped, not refused
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert verified(refreshed["access_token"], jwks, iss=meta["issuer"])["scope"] == "openid profile email orders:read"

    resource_server = OAuth2Session(m2m.client_id, m2m.secret)
    info = resource_server.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"]).json()
    assert info["active"] is True
    assert info["username"] == "alice"
    revoked = session.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"])
    assert revoked.status_code == 200
    info = resource_server.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"]).json()
    assert info == {"active": False}
    old = requests.post(
        meta["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(web.client_id, web.secret),
        timeout=10,
    )
    assert old.status_code == 400
    assert old.json()["error"] == "invalid_grant"


def test_client_credentials_with_basic_and_post(server, data):
    meta = discover(server)
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()
    m2m = data["m2m"]
    for method in ("client_secret_basic", "client_secret_post"):
        session = OAuth2Session(m2m.client_id, m2m.secret, scope="orders:read", token_endpoint_auth_method=method)
        token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials", resource=ORDERS)
        claims = verified(token["access_token"], jwks, iss=meta["issuer"], aud=ORDERS, sub=m2m.client_id)
        assert claims["aut"] == "APPLICATION"
        assert claims["scope"] == "orders:read"
        info = session.introspect_token(meta["introspection_endpoint"], token=token["access_token"]).json()
        assert info["active"] is True
        assert info["aud"] == ORDERS


def test_mcp_public_client_in_a_tenant_with_path_inserted_discovery(server, other_tenant, make_app, make_user):
    mcp = api_resource_create(
        actor=None,
        organization=other_tenant,
        name="Finance tools",
        identifier=MCP_SERVER,
        resource_type="MCP",
        scopes=[{"name": "finance:read_reports"}, {"name": "finance:approve"}],
    )
    app = make_app(other_tenant, "mcp-client-application", "mcp-host", redirect_uris=[REDIRECT])
    application_authorize_api(
        actor=None, application=app.application, api_resource=mcp, scopes=["finance:read_reports", "finance:approve"]
    )
    make_user(other_tenant, "dave", ["finance:read_reports"])
    meta = discover(server, "/t/acme/oauth2/token")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "none" in meta["token_endpoint_auth_methods_supported"]
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()

    session = OAuth2Session(
        app.client_id,
        scope="finance:read_reports finance:approve",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = generate_token(48)
    url, _ = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, resource=MCP_SERVER
    )
    callback = log_in_and_get_callback(url, "dave")
    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier, resource=MCP_SERVER
    )
    claims = verified(token["access_token"], jwks, iss=meta["issuer"], aud=MCP_SERVER)
    assert claims["scope"] == "finance:read_reports"
    assert claims["org_handle"] == "acme"
    rotated = session.refresh_token(meta["token_endpoint"])
    assert rotated["refresh_token"] != token["refresh_token"]
    replay = requests.post(
        meta["token_endpoint"],
        data={"grant_type": "refresh_token", "client_id": app.client_id, "refresh_token": token["refresh_token"]},
        timeout=10,
    )
    assert replay.json()["error"] == "invalid_grant"


def test_without_pkce_the_public_client_gets_an_error_redirect(server, other_tenant, make_app):
    app = make_app(other_tenant, "mcp-client-application", "mcp-host", redirect_uris=[REDIRECT])
    meta = discover(server, "/t/acme/oauth2/token")
    session = OAuth2Session(app.client_id, scope="openid", redirect_uri=REDIRECT)
    url, _ = session.create_authorization_url(meta["authorization_endpoint"])
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(REDIRECT)
    assert "error=invalid_request" in response.headers["Location"]
