"""DPoP (RFC 9449 §7) at protected resources: userinfo and the management API accept a bound token
only with the DPoP scheme and a proof of the bound key (with ``ath``), refuse it as a bearer token
with a DPoP challenge, and keep their query shapes (the management API still looks a token up in
one query)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from apps.applications.models import APIResource
from apps.applications.services import application_authorize_api
from tests.oauth.helpers import form_post
from tests.oauth.test_dpop import DPoPKey, cc, code_tokens

USERINFO = "/oauth2/userinfo"
USERS = "/api/server/v1/users"
ALGS = 'algs="ES256 RS256 PS256 EdDSA"'


def userinfo(client, token: str, proof: str | None = None, *, scheme: str = "DPoP", method: str = "get"):
    extra: dict[str, Any] = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        extra["HTTP_DPOP"] = proof
    if method == "post":
        return form_post(client, USERINFO, {}, **extra)
    return client.get(USERINFO, **extra)


def assert_dpop_challenge(response: Any, error: str) -> None:
    assert response.status_code == 401, response.content
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("DPoP "), challenge
    assert f'error="{error}"' in challenge
    assert ALGS in challenge
    assert response.json()["error"] == error


@pytest.fixture
def bound(client, browser, web, alice) -> tuple[DPoPKey, str]:
    """alice's DPoP-bound access token (openid) and its key."""
    key = DPoPKey()
    body = code_tokens(client, browser, web, key, scope="openid email").json()
    assert body["token_type"] == "DPoP"
    return key, body["access_token"]


# --- userinfo ----------------------------------------------------------------------------------


def test_userinfo_accepts_a_bound_token_with_its_proof(client, bound, alice):
    key, token = bound
    response = userinfo(client, token, key.proof("GET", USERINFO, access_token=token))
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == str(alice.id)
    posted = userinfo(client, token, key.proof("POST", USERINFO, access_token=token), method="post")
    assert posted.status_code == 200


def test_a_bound_token_replayed_as_a_bearer_token_is_refused_with_a_dpop_challenge(client, bound):
    _key, token = bound
    response = userinfo(client, token, scheme="Bearer")
    assert_dpop_challenge(response, "invalid_token")
    # nor in the form body (RFC 6750 §2.2 is a bearer method too)
    response = form_post(client, USERINFO, {"access_token": token})
    assert_dpop_challenge(response, "invalid_token")


def test_a_bound_token_without_a_proof_is_refused(client, bound):
    _key, token = bound
    assert_dpop_challenge(userinfo(client, token), "invalid_dpop_proof")


def test_a_proof_from_another_key_is_refused(client, bound):
    _key, token = bound
    response = userinfo(client, token, DPoPKey().proof("GET", USERINFO, access_token=token))
    assert_dpop_challenge(response, "invalid_dpop_proof")


@pytest.mark.parametrize(
    ("access_token", "claims"),
    [
        ("another-token", {}),  # ath of another token
        (None, {}),  # no ath at all
        ("<token>", {"htm": "POST"}),
        ("<token>", {"htu": "http://elsewhere.example.com/oauth2/userinfo"}),
    ],
)
def test_proofs_that_do_not_fit_the_request_are_refused(client, bound, access_token, claims):
    key, token = bound
    proof = key.proof("GET", USERINFO, access_token=token if access_token == "<token>" else access_token, **claims)
    assert_dpop_challenge(userinfo(client, token, proof), "invalid_dpop_proof")


def test_a_proof_is_used_once_at_userinfo(client, bound):
    key, token = bound
    proof = key.proof("GET", USERINFO, access_token=token)
    assert userinfo(client, token, proof).status_code == 200
    assert_dpop_challenge(userinfo(client, token, proof), "invalid_dpop_proof")


def test_a_bearer_token_sent_with_the_dpop_scheme_is_refused(client, browser, web, alice):
    token = code_tokens(client, browser, web, None, scope="openid").json()["access_token"]
    key = DPoPKey()
    assert_dpop_challenge(userinfo(client, token, key.proof("GET", USERINFO, access_token=token)), "invalid_token")
    assert userinfo(client, token, scheme="Bearer").status_code == 200


def test_invalid_tokens_still_get_bearer_errors(client, root_org):
    response = userinfo(client, "nonsense", DPoPKey().proof("GET", USERINFO, access_token="nonsense"))
    assert response.status_code == 401
    assert 'Bearer realm="userinfo", error="invalid_token"' in response["WWW-Authenticate"]
    assert "DPoP" in response["WWW-Authenticate"]


def test_cors_lets_browser_apps_read_dpop_challenges(client, root_org, make_app):
    preflight = client.options(USERINFO, HTTP_ORIGIN="https://spa.example.com")
    assert "DPoP" in preflight["Access-Control-Allow-Headers"]
    token_preflight = client.options("/oauth2/token", HTTP_ORIGIN="https://spa.example.com")
    assert "DPoP" in token_preflight["Access-Control-Allow-Headers"]


# --- the management API -----------------------------------------------------------------------


@pytest.fixture
def admin_app(root_org, make_app):
    app = make_app(root_org, "m2m-application", "dpop-admin")
    users_api = APIResource.objects.get(identifier=USERS, organization=None)
    application_authorize_api(
        actor=None, application=app.application, api_resource=users_api, scopes=["internal_user_mgt_list"]
    )
    return app


def api_get(client, token: str, proof: str | None = None, *, scheme: str = "DPoP", url: str = USERS):
    extra = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        extra["HTTP_DPOP"] = proof
    return client.get(url, **extra)


def test_management_api_accepts_the_dpop_scheme_for_bound_tokens(client, admin_app):
    key = DPoPKey()
    body = cc(client, admin_app, key.proof("POST", "/oauth2/token"), scope="internal_user_mgt_list").json()
    token = body["access_token"]
    assert body["token_type"] == "DPoP"
    assert api_get(client, token, key.proof("GET", USERS, access_token=token)).status_code == 200

    as_bearer = api_get(client, token, scheme="Bearer")
    assert as_bearer.status_code == 401
    assert as_bearer.json()["code"] == "AUT-60001"
    assert as_bearer["WWW-Authenticate"].startswith('DPoP realm="api", error="invalid_token"')
    assert ALGS in as_bearer["WWW-Authenticate"]

    wrong_key = api_get(client, token, DPoPKey().proof("GET", USERS, access_token=token))
    assert wrong_key.status_code == 401
    assert 'error="invalid_dpop_proof"' in wrong_key["WWW-Authenticate"]
    no_ath = api_get(client, token, key.proof("GET", USERS))
    assert 'error="invalid_dpop_proof"' in no_ath["WWW-Authenticate"]
    no_proof = api_get(client, token)
    assert 'error="invalid_dpop_proof"' in no_proof["WWW-Authenticate"]
    proof = key.proof("GET", USERS, access_token=token)
    assert api_get(client, token, proof).status_code == 200
    assert api_get(client, token, proof).status_code == 401  # replayed


def test_management_api_bearer_tokens_are_unchanged(client, admin_app):
    token = cc(client, admin_app, scope="internal_user_mgt_list").json()["access_token"]
    assert api_get(client, token, scheme="Bearer").status_code == 200
    response = api_get(client, token, DPoPKey().proof("GET", USERS, access_token=token))
    assert response.status_code == 401  # a bearer token is not a DPoP credential
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    anonymous = client.get(USERS)
    assert anonymous["WWW-Authenticate"] == f'Bearer realm="api", DPoP realm="api", {ALGS}'


def test_dpop_adds_one_insert_and_keeps_the_single_token_lookup(client, admin_app):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = DPoPKey()
    dpop_token = cc(client, admin_app, key.proof("POST", "/oauth2/token"), scope="internal_user_mgt_list").json()
    bearer_token = cc(client, admin_app, scope="internal_user_mgt_list").json()["access_token"]
    dpop_token = dpop_token["access_token"]
    api_get(client, bearer_token, scheme="Bearer")  # warm whatever the view caches
    with CaptureQueriesContext(connection) as bearer:
        assert api_get(client, bearer_token, scheme="Bearer").status_code == 200
    with CaptureQueriesContext(connection) as dpop:
        assert api_get(client, dpop_token, key.proof("GET", USERS, access_token=dpop_token)).status_code == 200
    assert len(dpop) == len(bearer) + 1
    statements = [q["sql"].lstrip().split()[0].upper() for q in dpop.captured_queries]
    lookups = [q["sql"] for q in dpop.captured_queries if q["sql"].lstrip().upper().startswith("SELECT T.EXPIRES")]
    assert len(lookups) == 1  # the token, its principal, organizations and DPoP binding in one query
    assert statements.count("INSERT") == 1  # the proof's replay-cache row


def test_a_tenant_api_wants_the_tenant_url_in_htu(client, other_tenant, make_app):
    app = make_app(other_tenant, "m2m-application", "acme-admin")
    users_api = APIResource.objects.get(identifier=USERS, organization=None)
    application_authorize_api(
        actor=None, application=app.application, api_resource=users_api, scopes=["internal_user_mgt_list"]
    )
    key = DPoPKey()
    token_url = "/t/acme/oauth2/token"
    token = cc(client, app, key.proof("POST", token_url), url=token_url, scope="internal_user_mgt_list").json()
    token = token["access_token"]
    url = f"/t/acme{USERS}"
    assert api_get(client, token, key.proof("GET", USERS, access_token=token), url=url).status_code == 401
    assert api_get(client, token, key.proof("GET", url, access_token=token), url=url).status_code == 200
    assert settings.IAM_BASE_URL  # htu is built from the configured base URL, not the Host header
