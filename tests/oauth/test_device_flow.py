"""Device authorization (RFC 8628): the device's requests, the user's page, polling answers, bad input and
tenant isolation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.keystores.selectors import keystore_jwks
from apps.oauth.device import USER_CODE_ALPHABET
from apps.oauth.models import DeviceAuthorization
from tests.oauth.conftest import ORDERS, PASSWORD
from tests.oauth.helpers import basic, form_post, jwt_verified_claims, query_of

TOKEN = "/oauth2/token"
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def tv(root_org, orders_api, make_app):
    """A public client on an input-constrained device."""
    return make_app(
        root_org, "react-application", "tv", grant_types=[DEVICE, "refresh_token"], apis={orders_api: ["orders:read"]}
    )


def start(client, app, url="/oauth2/device_authorize", **data):
    data.setdefault("scope", "openid")
    if app.secret:
        return form_post(client, url, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret))
    return form_post(client, url, {"client_id": app.client_id, **data})


def poll(client, app, device_code, url=TOKEN, *, on_time=True):
    if on_time:  # as if the interval had passed since the last poll
        DeviceAuthorization.objects.update(last_polled=None)
    data = {"grant_type": DEVICE, "device_code": device_code}
    if app.secret:
        return form_post(client, url, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret))
    return form_post(client, url, {**data, "client_id": app.client_id})


def decide(browser, user_code, decision, url="/oauth2/device"):
    return browser.post(url, {"user_code": user_code, "decision": decision})


def test_device_authorization_response(client, tv, root_org):
    response = start(client, tv, scope="openid orders:read", resource=ORDERS)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert re.fullmatch(f"[{USER_CODE_ALPHABET}]{{4}}-[{USER_CODE_ALPHABET}]{{4}}", body["user_code"])
    assert body["verification_uri"] == f"{BASE}/oauth2/device"
    assert body["verification_uri_complete"].startswith(f"{BASE}/oauth2/device?user_code=")
    assert query_of(body["verification_uri_complete"])["user_code"] == body["user_code"]
    assert body["expires_in"] == 600
    assert body["interval"] == 5
    assert len(body["device_code"]) >= 43
    row = DeviceAuthorization.objects.get()
    assert body["device_code"] not in (row.device_code_checksum, row.user_code_hash)
    assert body["user_code"].replace("-", "") not in row.user_code_hash
    assert row.scope == "openid orders:read"
    assert row.resource == [ORDERS]


def test_full_flow_pending_approve_token_then_used(client, tv, alice, browser, root_org):
    body = start(client, tv, scope="openid orders:read orders:write", resource=ORDERS).json()
    pending = poll(client, tv, body["device_code"])
    assert pending.status_code == 400
    assert pending.json()["error"] == "authorization_pending"

    page = browser.get("/oauth2/device", {"user_code": body["user_code"]})
    assert page.status_code == 200
    assert b"tv" in page.content
    assert body["user_code"].encode() in page.content
    assert DeviceAuthorization.objects.get().status == "pending"  # a GET never approves
    done = decide(browser, body["user_code"], "approve")
    assert done.status_code == 200
    assert b"Device connected" in done.content

    tokens = poll(client, tv, body["device_code"])
    assert tokens.status_code == 200, tokens.content
    tokens = tokens.json()
    assert tokens["scope"] == "openid orders:read"  # alice's role holds no orders:write
    assert tokens["refresh_token"]
    assert tokens["id_token"]
    jwks = keystore_jwks(organization=root_org)
    claims = jwt_verified_claims(tokens["access_token"], jwks)
    assert claims["sub"] == str(alice.id)
    assert claims["aud"] == ORDERS
    assert claims["client_id"] == tv.client_id
    assert jwt_verified_claims(tokens["id_token"], jwks)["aud"] == tv.client_id

    again = poll(client, tv, body["device_code"])
    assert again.json()["error"] == "invalid_grant"
    refreshed = form_post(
        client,
        TOKEN,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": tv.client_id},
    )
    assert refreshed.status_code == 200


def test_polling_too_fast_is_slow_down_and_the_interval_grows(client, tv):
    body = start(client, tv).json()
    assert poll(client, tv, body["device_code"]).json()["error"] == "authorization_pending"
    assert poll(client, tv, body["device_code"], on_time=False).json()["error"] == "slow_down"
    row = DeviceAuthorization.objects.get()
    assert row.interval == 10
    DeviceAuthorization.objects.update(last_polled=timezone.now() - timedelta(seconds=6))
    assert poll(client, tv, body["device_code"], on_time=False).json()["error"] == "slow_down"
    assert DeviceAuthorization.objects.get().interval == 15
    DeviceAuthorization.objects.update(last_polled=timezone.now() - timedelta(seconds=16))
    assert poll(client, tv, body["device_code"], on_time=False).json()["error"] == "authorization_pending"


def test_denied_is_access_denied(client, tv, browser):
    body = start(client, tv).json()
    done = decide(browser, body["user_code"], "deny")
    assert b"Request denied" in done.content
    assert poll(client, tv, body["device_code"]).json()["error"] == "access_denied"


def test_expired_is_expired_token_and_cannot_be_approved(client, tv, browser):
    body = start(client, tv).json()
    DeviceAuthorization.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert poll(client, tv, body["device_code"]).json()["error"] == "expired_token"
    response = decide(browser, body["user_code"], "approve")
    assert response.status_code == 400
    assert DeviceAuthorization.objects.get().status == "pending"


def test_user_codes_are_accepted_in_any_case_without_the_dash(client, tv, browser):
    body = start(client, tv).json()
    typed = body["user_code"].replace("-", " ").lower()
    assert decide(browser, typed, "approve").status_code == 200
    assert poll(client, tv, body["device_code"]).status_code == 200


def test_confidential_clients_authenticate(client, root_org, make_app, orders_api, browser):
    box = make_app(root_org, name="box", grant_types=[DEVICE])
    body = start(client, box).json()
    decide(browser, body["user_code"], "approve")
    assert poll(client, box, body["device_code"]).status_code == 200
    wrong = form_post(
        client, "/oauth2/device_authorize", {"scope": "openid"}, HTTP_AUTHORIZATION=basic(box.client_id, "wrong")
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert form_post(client, "/oauth2/device_authorize", {"client_id": box.client_id}).status_code == 401


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"resource": "https://api.example.com/unknown"}, "invalid_target"),
        ({"scope": 'bad"scope'}, "invalid_scope"),
    ],
)
def test_bad_device_authorization_requests(client, tv, data, error):
    response = start(client, tv, **data)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_device_authorization_wants_a_form_post(client, tv):
    assert client.get("/oauth2/device_authorize").status_code == 405
    response = client.post("/oauth2/device_authorize", {"client_id": tv.client_id}, content_type="application/json")
    assert response.json()["error"] == "invalid_request"


def test_clients_without_the_grant_are_unauthorized(client, web, tv):
    assert start(client, web).json()["error"] == "unauthorized_client"
    body = start(client, tv).json()
    response = poll(client, web, body["device_code"])
    assert response.json()["error"] == "unauthorized_client"


def test_bad_polls(client, tv, root_org, make_app):
    assert poll(client, tv, "").json()["error"] == "invalid_request"
    assert poll(client, tv, "unknown").json()["error"] == "invalid_grant"
    other = make_app(root_org, "react-application", "other-tv", grant_types=[DEVICE])
    body = start(client, tv).json()
    assert poll(client, other, body["device_code"]).json()["error"] == "invalid_grant"


def test_a_device_code_of_tenant_a_is_invalid_grant_at_tenant_b(client, tv, other_tenant, make_app, browser):
    acme_tv = make_app(other_tenant, "react-application", "acme-tv", grant_types=[DEVICE])
    body = start(client, tv).json()
    decide(browser, body["user_code"], "approve")
    response = poll(client, acme_tv, body["device_code"], url="/t/acme/oauth2/token")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_user_code_of_tenant_a_is_unknown_on_tenant_bs_page(client, tv, other_tenant, make_user):
    body = start(client, tv).json()
    bob = make_user(other_tenant, "bob")
    acme_browser = Client()
    acme_browser.force_login(bob)
    response = decide(acme_browser, body["user_code"], "approve", url="/t/acme/oauth2/device")
    assert response.status_code == 400
    assert DeviceAuthorization.objects.get().status == "pending"


def test_the_page_sends_strangers_to_the_login_and_back(client, tv, alice):
    body = start(client, tv).json()
    browser = Client()
    response = browser.get("/oauth2/device", {"user_code": body["user_code"]})
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith("/oauth2/login?")
    next_url = query_of(login_url)["next"]
    assert next_url == f"/oauth2/device?user_code={body['user_code']}"
    signed_in = browser.post("/oauth2/login", {"username": "alice", "password": PASSWORD, "next": next_url})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == next_url
    assert browser.get(next_url).status_code == 200


def test_the_page_without_a_code_asks_for_one(browser, tv):
    response = browser.get("/oauth2/device")
    assert response.status_code == 200
    assert b'name="user_code"' in response.content


def test_wrong_codes_are_limited_per_session(client, tv, browser):
    body = start(client, tv).json()
    for _ in range(10):
        response = decide(browser, "BBBB-BBBB", "approve")
        assert response.status_code == 400
    response = decide(browser, body["user_code"], "approve")
    assert response.status_code == 400
    assert b"Too many incorrect codes" in response.content
    assert DeviceAuthorization.objects.get().status == "pending"


def test_the_decision_needs_the_csrf_token(client, tv, alice):
    body = start(client, tv).json()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert decide(browser, body["user_code"], "approve").status_code == 403
    assert DeviceAuthorization.objects.get().status == "pending"
    page = browser.get("/oauth2/device", {"user_code": body["user_code"]})
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    response = browser.post(
        "/oauth2/device", {"user_code": body["user_code"], "decision": "approve", "csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 200
    assert DeviceAuthorization.objects.get().status == "approved"


def test_a_proof_with_the_poll_binds_the_tokens(client, tv, browser, root_org):
    from jwcrypto import jwk

    from tests.oauth.test_token_exchange import dpop_proof

    key = jwk.JWK.generate(kty="EC", crv="P-256")
    body = start(client, tv).json()
    decide(browser, body["user_code"], "approve")
    DeviceAuthorization.objects.update(last_polled=None)
    data = {"grant_type": DEVICE, "device_code": body["device_code"], "client_id": tv.client_id}
    tokens = form_post(client, TOKEN, data, HTTP_DPOP=dpop_proof(key)).json()
    assert tokens["token_type"] == "DPoP"
    claims = jwt_verified_claims(tokens["access_token"], keystore_jwks(organization=root_org))
    assert claims["cnf"]["jkt"] == key.thumbprint()
    # The public client's refresh token is bound to the same key.
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": tv.client_id}
    assert form_post(client, TOKEN, refresh).json()["error"] == "invalid_grant"
    assert form_post(client, TOKEN, refresh, HTTP_DPOP=dpop_proof(key)).status_code == 200
