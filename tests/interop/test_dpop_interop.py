"""DPoP against a live server over real HTTP: proofs built with jwcrypto (never the server's code),
tokens fetched with requests and Authlib's OAuth2Session, JWTs verified against the JWKS fetched
over HTTP, introspection by a resource server, and userinfo with the DPoP scheme."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests.interop.test_authlib_clients import discover, log_in_and_get_callback, verified
from tests.oauth.conftest import ORDERS, REDIRECT
from tests.oauth.test_dpop import DPoPKey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(root_org, orders_api, make_app, make_user) -> dict[str, Any]:
    web = make_app(root_org, apis={orders_api: ["orders:read"]})
    m2m = make_app(root_org, "m2m-application", "m2m", apis={orders_api: ["orders:read"]})
    bound = make_app(root_org, "m2m-application", "bound-m2m", token_binding="DPoP", apis={orders_api: ["orders:read"]})
    make_user(root_org, "alice", ["orders:read"], email="alice@example.com")
    return {"web": web, "m2m": m2m, "bound": bound}


def test_client_credentials_with_dpop_then_introspection_and_userinfo(server, data):
    meta = discover(server)
    assert set(meta["dpop_signing_alg_values_supported"]) >= {"ES256", "RS256", "PS256", "EdDSA"}
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()
    m2m, key = data["m2m"], DPoPKey()

    response = requests.post(
        meta["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": "orders:read", "resource": ORDERS},
        auth=(m2m.client_id, m2m.secret),
        headers={"DPoP": key.proof("POST", meta["token_endpoint"])},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "DPoP"
    claims = verified(token["access_token"], jwks, iss=meta["issuer"], aud=ORDERS)
    assert claims["cnf"] == {"jkt": key.jkt}

    resource_server = OAuth2Session(m2m.client_id, m2m.secret)
    info = resource_server.introspect_token(meta["introspection_endpoint"], token=token["access_token"]).json()
    assert info["active"] is True
    assert info["token_type"] == "DPoP"
    assert info["cnf"] == {"jkt": key.jkt}

    # An application token has no user: userinfo refuses it, as a bearer token with a DPoP challenge.
    as_bearer = requests.get(
        meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert as_bearer.status_code == 401
    assert "DPoP" in as_bearer.headers["WWW-Authenticate"]


def test_code_flow_with_authlib_and_dpop_at_userinfo(server, data):
    meta = discover(server)
    web, key = data["web"], DPoPKey()
    session = OAuth2Session(
        web.client_id,
        web.secret,
        scope="openid email orders:read",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(48)
    url, _state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, dpop_jkt=key.jkt
    )
    callback = log_in_and_get_callback(url, "alice")
    token = session.fetch_token(
        meta["token_endpoint"],
        authorization_response=callback,
        code_verifier=verifier,
        headers={"DPoP": key.proof("POST", meta["token_endpoint"])},
    )
    assert token["token_type"] == "DPoP"
    access = token["access_token"]

    userinfo = meta["userinfo_endpoint"]
    proof = key.proof("GET", userinfo, access_token=access)
    ok = requests.get(userinfo, headers={"Authorization": f"DPoP {access}", "DPoP": proof}, timeout=10)
    assert ok.status_code == 200, ok.text
    assert ok.json()["email"] == "alice@example.com"

    # The acceptance line: the bound token replayed without its proof is refused with a DPoP challenge.
    replay = requests.get(userinfo, headers={"Authorization": f"Bearer {access}"}, timeout=10)
    assert replay.status_code == 401
    assert replay.headers["WWW-Authenticate"].startswith('DPoP realm="userinfo", error="invalid_token"')
    # and so is the very same proof sent again
    again = requests.get(userinfo, headers={"Authorization": f"DPoP {access}", "DPoP": proof}, timeout=10)
    assert again.status_code == 401
    assert 'error="invalid_dpop_proof"' in again.headers["WWW-Authenticate"]

    # A confidential client's refresh token is not bound to the key (RFC 9449 §5): a new key binds the new token.
    other = DPoPKey()
    refreshed = session.refresh_token(
        meta["token_endpoint"], headers={"DPoP": other.proof("POST", meta["token_endpoint"])}
    )
    assert refreshed["token_type"] == "DPoP"
    resource_server = OAuth2Session(data["m2m"].client_id, data["m2m"].secret)
    info = resource_server.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"]).json()
    assert info["cnf"] == {"jkt": other.jkt}


def test_an_app_bound_to_dpop_and_repeated_headers_over_real_http(server, data):
    meta = discover(server)
    bound = data["bound"]
    plain = requests.post(
        meta["token_endpoint"],
        data={"grant_type": "client_credentials"},
        auth=(bound.client_id, bound.secret),
        timeout=10,
    )
    assert plain.status_code == 400
    assert plain.json() == {"error": "invalid_dpop_proof", "error_description": "DPoP header is required."}

    # Two DPoP headers on the wire (requests cannot send that: use http.client).
    target = urlsplit(meta["token_endpoint"])
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    body = urlencode({"grant_type": "client_credentials", "client_id": bound.client_id, "client_secret": bound.secret})
    connection.putrequest("POST", target.path)
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(len(body)))
    connection.putheader("DPoP", DPoPKey().proof("POST", meta["token_endpoint"]))
    connection.putheader("DPoP", DPoPKey().proof("POST", meta["token_endpoint"]))
    connection.endheaders(body.encode())
    answer = connection.getresponse()
    assert answer.status == 400
    assert json.loads(answer.read())["error"] == "invalid_dpop_proof"
    connection.close()
