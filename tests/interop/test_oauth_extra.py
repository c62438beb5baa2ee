"""Real clients against a live server for the extra grants: dynamic client registration followed by an MCP-style
code flow (Authlib), private_key_jwt with Authlib's own assertion signer, the device flow driven with requests
(polling, approving on the page over HTTP), and token exchange with requests."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from jwcrypto import jwk

from apps.applications.services import api_resource_create
from tests.interop.test_authlib_clients import MCP_SERVER, discover, log_in_and_get_callback, verified
from tests.oauth.conftest import ORDERS, PASSWORD, REDIRECT

pytestmark = pytest.mark.django_db(transaction=True)
TX = "urn:ietf:params:oauth:grant-type:token-exchange"
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"


def test_dcr_then_an_mcp_code_flow_with_authlib(server, root_org, make_user):
    api_resource_create(
        actor=None,
        organization=root_org,
        name="Finance tools",
        identifier=MCP_SERVER,
        resource_type="MCP",
        scopes=[{"name": "finance:read_reports"}, {"name": "finance:approve"}],
    )
    make_user(root_org, "dave", ["finance:read_reports"])
    meta = discover(server)
    assert meta["registration_endpoint"] == f"{server}/oauth2/register"
    registration = OAuth2Session().post(
        meta["registration_endpoint"],
        json={
            "client_name": "MCP host",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        },
        withhold_token=True,
        timeout=10,
    )
    assert registration.status_code == 201, registration.text
    client_id = registration.json()["client_id"]
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()

    session = OAuth2Session(
        client_id,
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
    claims = verified(token["access_token"], jwks, iss=meta["issuer"], aud=MCP_SERVER, client_id=client_id)
    assert claims["scope"] == "finance:read_reports"  # dave's role holds no finance:approve
    rotated = session.refresh_token(meta["token_endpoint"])
    assert rotated["refresh_token"] != token["refresh_token"]


def test_private_key_jwt_with_authlibs_signer(server, root_org):
    meta = discover(server)
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    key = jwk.JWK.generate(kty="RSA", size=2048, kid="authlib-key")
    registration = requests.post(
        meta["registration_endpoint"],
        json={
            "client_name": "Signed backend",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.export_public(as_dict=True)]},
        },
        timeout=10,
    )
    assert registration.status_code == 201, registration.text
    client_id = registration.json()["client_id"]
    session = OAuth2Session(
        client_id, key.export_to_pem(private_key=True, password=None), token_endpoint_auth_method="private_key_jwt"
    )
    session.register_client_auth_method(PrivateKeyJWT(meta["token_endpoint"]))
    token = session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()
    assert verified(token["access_token"], jwks, iss=meta["issuer"], sub=client_id)["aut"] == "APPLICATION"
    # Each assertion is single-use: Authlib signs a fresh one (new jti) per request.
    assert session.fetch_token(meta["token_endpoint"], grant_type="client_credentials")["access_token"]


def _form(html: str) -> dict[str, str]:
    return {name: value.replace("&amp;", "&") for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', html)}


def approve_on_the_page(url: str, username: str) -> str:
    """Open verification_uri_complete in a "browser", sign in through the login form, then approve."""
    browser = requests.Session()
    response = browser.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    login_url = urljoin(url, response.headers["Location"])
    page = browser.get(login_url, timeout=10)
    form = {**_form(page.text), "username": username, "password": PASSWORD}
    response = browser.post(login_url, data=form, allow_redirects=False, timeout=10, headers={"Referer": login_url})
    assert response.status_code == 302, response.text[:300]
    device_url = urljoin(login_url, response.headers["Location"])
    confirm = browser.get(device_url, timeout=10)
    assert confirm.status_code == 200
    fields = _form(confirm.text)
    assert fields["user_code"]
    response = browser.post(
        device_url.split("?")[0],
        data={
            "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
            "user_code": fields["user_code"],
            "decision": "approve",
        },
        timeout=10,
        headers={"Referer": device_url},
    )
    assert response.status_code == 200
    return response.text


def poll_for_token(token_endpoint: str, client_id: str, started: dict[str, Any], *, deadline: float) -> dict[str, Any]:
    interval = started["interval"]
    while time.monotonic() < deadline:
        time.sleep(interval)
        response = requests.post(
            token_endpoint,
            data={"grant_type": DEVICE, "device_code": started["device_code"], "client_id": client_id},
            timeout=10,
        )
        if response.status_code == 200:
            return response.json()
        error = response.json()["error"]
        if error == "slow_down":
            interval += 5
        elif error != "authorization_pending":
            raise AssertionError(response.text)
    raise AssertionError("no token before the deadline")


def test_the_device_flow_over_http(server, root_org, make_app, make_user, orders_api, settings):
    settings.IAM_OAUTH_DEVICE_POLL_INTERVAL_SECONDS = 1
    tv = make_app(
        root_org, "react-application", "tv", grant_types=[DEVICE, "refresh_token"], apis={orders_api: ["orders:read"]}
    )
    alice = make_user(root_org, "alice", ["orders:read"])
    meta = discover(server)
    started = requests.post(
        meta["device_authorization_endpoint"],
        data={"client_id": tv.client_id, "scope": "openid orders:read", "resource": ORDERS},
        timeout=10,
    ).json()
    assert started["interval"] == 1
    assert started["verification_uri"] == f"{server}/oauth2/device"
    first = requests.post(
        meta["token_endpoint"],
        data={"grant_type": DEVICE, "device_code": started["device_code"], "client_id": tv.client_id},
        timeout=10,
    )
    assert first.json()["error"] == "authorization_pending"
    too_soon = requests.post(
        meta["token_endpoint"],
        data={"grant_type": DEVICE, "device_code": started["device_code"], "client_id": tv.client_id},
        timeout=10,
    )
    assert too_soon.json()["error"] == "slow_down"
    started["interval"] += 5  # as RFC 8628 §3.5 tells the client

    assert "Device connected" in approve_on_the_page(started["verification_uri_complete"], "alice")
    token = poll_for_token(meta["token_endpoint"], tv.client_id, started, deadline=time.monotonic() + 30)
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()
    claims = verified(token["access_token"], jwks, iss=meta["issuer"], aud=ORDERS, sub=str(alice.id))
    assert claims["scope"] == "openid orders:read"
    assert verified(token["id_token"], jwks, iss=meta["issuer"], aud=tv.client_id)["sub"] == str(alice.id)
    assert token["refresh_token"]


def test_token_exchange_over_http(server, root_org, make_app, make_user, orders_api):
    web = make_app(root_org, apis={orders_api: ["orders:read"]})
    host = make_app(root_org, name="agent-host", grant_types=[TX], apis={orders_api: ["orders:read"]})
    agent = make_app(root_org, "m2m-application", "agent", apis={orders_api: ["orders:read"]})
    alice = make_user(root_org, "alice", ["orders:read"])
    meta = discover(server)
    session = OAuth2Session(
        web.client_id, web.secret, scope="openid orders:read", redirect_uri=REDIRECT, code_challenge_method="S256"
    )
    verifier = generate_token(48)
    url, _ = session.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    user_token = session.fetch_token(
        meta["token_endpoint"], authorization_response=log_in_and_get_callback(url, "alice"), code_verifier=verifier
    )["access_token"]
    actor = requests.post(
        meta["token_endpoint"],
        data={"grant_type": "client_credentials"},
        auth=(agent.client_id, agent.secret),
        timeout=10,
    ).json()["access_token"]

    response = requests.post(
        meta["token_endpoint"],
        data={
            "grant_type": TX,
            "subject_token": user_token,
            "subject_token_type": ACCESS,
            "actor_token": actor,
            "actor_token_type": ACCESS,
            "requested_token_type": ACCESS,
            "resource": ORDERS,
            "scope": "orders:read orders:write",
        },
        auth=(host.client_id, host.secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == ACCESS
    assert body["scope"] == "orders:read"
    jwks = requests.get(meta["jwks_uri"], timeout=10).json()
    claims = verified(body["access_token"], jwks, iss=meta["issuer"], aud=ORDERS, sub=str(alice.id))
    assert claims["act"] == {"sub": agent.client_id}
    assert claims["client_id"] == host.client_id
    info = OAuth2Session(host.client_id, host.secret).introspect_token(
        meta["introspection_endpoint"], token=body["access_token"]
    )
    assert info.json()["active"] is True
