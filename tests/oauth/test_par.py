"""Pushed authorization requests (RFC 9126): push, use once, only the pushed parameters count."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from apps.oauth.models import PushedAuthorizationRequest
from tests.oauth.conftest import PASSWORD, REDIRECT
from tests.oauth.helpers import basic, form_post, pkce_pair, query_of
from tests.oauth.test_authorization_code import exchange

PAR = "/oauth2/par"
AUTHORIZE = "/oauth2/authorize"


def push(client, app, **params):
    verifier, challenge = pkce_pair()
    data = {
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid orders:read",
        "state": "s-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    data = {name: value for name, value in data.items() if value is not None}
    if app.secret:
        response = form_post(client, PAR, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret))
    else:
        response = form_post(client, PAR, {**data, "client_id": app.client_id})
    return response, verifier


def test_a_pushed_request_leads_to_a_code_once_and_the_code_to_tokens(client, browser, web):
    response, verifier = push(client, web)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == 60
    assert response["Cache-Control"] == "no-store"
    # Only a checksum of the request_uri is stored.
    assert (
        PushedAuthorizationRequest.objects.filter(request_uri_checksum__contains=body["request_uri"][-20:]).count() == 0
    )

    done = browser.get(AUTHORIZE, {"client_id": web.client_id, "request_uri": body["request_uri"]})
    assert done.status_code == 302
    answer = query_of(done["Location"])
    assert done["Location"].startswith(REDIRECT + "?")
    assert answer["state"] == "s-1"
    tokens = exchange(client, web, answer["code"], verifier)
    assert tokens.status_code == 200
    assert tokens.json()["scope"] == "openid orders:read"

    again = browser.get(AUTHORIZE, {"client_id": web.client_id, "request_uri": body["request_uri"]})
    assert again.status_code == 400  # used once
    assert "Location" not in again


def test_parameters_in_the_url_do_not_override_the_pushed_ones(client, browser, web):
    response, _ = push(client, web, scope="openid")
    request_uri = response.json()["request_uri"]
    done = browser.get(
        AUTHORIZE,
        {
            "client_id": web.client_id,
            "request_uri": request_uri,
            "scope": "openid orders:write",
            "redirect_uri": "https://evil.example.com/cb",
            "state": "forged",
        },
    )
    assert done["Location"].startswith(REDIRECT + "?")
    assert query_of(done["Location"])["state"] == "s-1"


def test_signing_in_in_between_keeps_only_client_id_and_request_uri_in_the_browser(client, web, alice):
    response, verifier = push(client, web)
    request_uri = response.json()["request_uri"]
    browser = Client()
    to_login = browser.get(AUTHORIZE, {"client_id": web.client_id, "request_uri": request_uri})
    next_url = query_of(to_login["Location"])["next"]
    assert set(query_of(next_url)) == {"client_id", "request_uri"}
    login_url = to_login["Location"]
    signed_in = browser.post(login_url, {"username": "alice", "password": PASSWORD, "next": next_url})
    # The sign-in portal may take more steps; follow its redirects back to the client.
    location = signed_in["Location"]
    for _ in range(5):
        if location.startswith(REDIRECT):
            break
        location = browser.get(location)["Location"]
    code = query_of(location)["code"]
    assert exchange(client, web, code, verifier).status_code == 200


def test_a_request_uri_bound_to_one_browser_is_refused_in_another(client, browser, web, alice):
    response, _ = push(client, web)
    request_uri = response.json()["request_uri"]
    first = Client()
    first.get(AUTHORIZE, {"client_id": web.client_id, "request_uri": request_uri})  # to the sign-in, bound
    stolen = browser.get(AUTHORIZE, {"client_id": web.client_id, "request_uri": request_uri})
    assert stolen.status_code == 400
    assert "Location" not in stolen


def test_an_expired_unknown_or_foreign_request_uri_is_an_error_page(client, browser, web, root_org, make_app):
    response, _ = push(client, web)
    request_uri = response.json()["request_uri"]
    other = make_app(root_org, name="other")
    assert browser.get(AUTHORIZE, {"client_id": other.client_id, "request_uri": request_uri}).status_code == 400
    PushedAuthorizationRequest.objects.update(expires=timezone.now())
    assert browser.get(AUTHORIZE, {"client_id": web.client_id, "request_uri": request_uri}).status_code == 400
    garbage = {"client_id": web.client_id, "request_uri": "urn:ietf:params:oauth:request_uri:nope"}
    assert browser.get(AUTHORIZE, garbage).status_code == 400
    assert browser.get(AUTHORIZE, {**garbage, "request_uri": "https://evil.example.com/r"}).status_code == 400


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"request_uri": "urn:ietf:params:oauth:request_uri:x"}, "invalid_request"),
        ({"request": "eyJ.eyJ.sig"}, "request_not_supported"),
        ({"max_age": "soon"}, "invalid_request"),
    ],
)
def test_a_push_is_validated_like_an_authorization_request_and_answered_in_json(client, web, params, error):
    response, _ = push(client, web, **params)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert PushedAuthorizationRequest.objects.count() == 0


def test_a_push_needs_client_authentication(client, web, other_tenant, make_app):
    response = form_post(client, PAR, {"client_id": web.client_id, "response_type": "code"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    response = form_post(
        client,
        PAR,
        {"client_id": "someone-else", "response_type": "code"},
        HTTP_AUTHORIZATION=basic(web.client_id, web.secret),
    )
    assert response.status_code in (400, 401)
    # A client of tenant B is unknown at tenant A's PAR endpoint.
    acme = make_app(other_tenant, name="acme-web")
    response = form_post(client, PAR, {"response_type": "code"}, HTTP_AUTHORIZATION=basic(acme.client_id, acme.secret))
    assert response.status_code == 401


def test_a_public_client_pushes_with_pkce_and_its_client_id(client, browser, root_org, make_app, orders_api):
    app = make_app(root_org, "react-application", name="spa", apis={orders_api: ["orders:read"]})
    assert app.secret is None
    response, verifier = push(client, app)
    assert response.status_code == 201, response.content
    done = browser.get(AUTHORIZE, {"client_id": app.client_id, "request_uri": response.json()["request_uri"]})
    assert exchange(client, app, query_of(done["Location"])["code"], verifier).status_code == 200
    response, _ = push(client, app, code_challenge=None, code_challenge_method=None)
    assert response.json()["error"] == "invalid_request"


def test_a_dpop_proof_at_the_push_binds_the_code_to_its_key(client, browser, web):
    from tests.oauth.test_dpop import DPoPKey, assert_invalid_proof, token_request

    key = DPoPKey()
    verifier, challenge = pkce_pair()
    data = {
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = form_post(
        client,
        PAR,
        data,
        HTTP_AUTHORIZATION=basic(web.client_id, web.secret),
        HTTP_DPOP=key.proof("POST", PAR),
    )
    assert response.status_code == 201, response.content
    done = browser.get(AUTHORIZE, {"client_id": web.client_id, "request_uri": response.json()["request_uri"]})
    code = query_of(done["Location"])["code"]
    exchange_data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    assert_invalid_proof(token_request(client, web, exchange_data, DPoPKey()), "dpop_jkt")
    body = token_request(client, web, exchange_data, key).json()
    assert body["token_type"] == "DPoP"


def test_par_is_advertised_and_can_be_required(client, browser, web, settings):
    document = client.get("/.well-known/openid-configuration").json()
    assert urlsplit(document["pushed_authorization_request_endpoint"]).path == PAR
    assert document["require_pushed_authorization_requests"] is False
    settings.IAM_PAR_REQUIRED = True
    assert client.get("/.well-known/openid-configuration").json()["require_pushed_authorization_requests"] is True
    _verifier, challenge = pkce_pair()
    plain = browser.get(
        AUTHORIZE,
        {
            "response_type": "code",
            "client_id": web.client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert plain.status_code == 400
    response, _ = push(client, web)
    done = browser.get(AUTHORIZE, {"client_id": web.client_id, "request_uri": response.json()["request_uri"]})
    assert done["Location"].startswith(REDIRECT + "?code=")
