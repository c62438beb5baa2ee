"""Acceptance (federation): a user signs in at tenant A through tenant B of this same server as the
upstream OpenID provider. Everything is real: A's portal, B's authorize/login/token/JWKS/userinfo
endpoints over HTTP on loopback, A's code exchange with B, ID token verification with jwcrypto."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from jwcrypto import jwk, jwt

from apps.authn.models import AuthSession
from apps.core.models import AuditLog
from apps.idp.models import FederatedAssociation
from apps.idp.services import idp_update
from apps.users.models import User
from tests.idp.conftest import (
    REDIRECT,
    Browser,
    code_of,
    sign_in_upstream,
    start_at_tenant_a,
)

pytestmark = pytest.mark.django_db(transaction=True)


def a_tokens(fed, code: str, verifier: str) -> dict:
    response = requests.post(
        f"{fed.base}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier},
        auth=(fed.app.client_id, fed.app.secret),
        timeout=15,
    )
    assert response.status_code == 200, response.text
    return response.json()


def a_id_token_claims(fed, token: str) -> dict:
    keys = jwk.JWKSet.from_json(json.dumps(requests.get(f"{fed.base}/oauth2/jwks", timeout=15).json()))
    return json.loads(jwt.JWT(jwt=token, key=keys, check_claims={"exp": None}).claims)


def test_signing_in_through_tenant_b_links_the_existing_local_user_by_email_and_employee_id(federation, make_user):
    fed = federation
    samuel = make_user(fed.tenant_a, "samuel", email="sam@example.com", attributes={"employeeId": "E-1007"})
    # Same email, another employee id: must not be the one linked.
    make_user(fed.tenant_a, "sam-other", email="sam@example.com", attributes={"employeeId": "E-2000"})
    upstream_sam = User.objects.get(organization=fed.tenant_b, username="sam")

    browser = Browser()
    verifier = start_at_tenant_a(browser, fed)
    sign_in_upstream(browser, fed)
    browser.get(browser.url)  # A's /commonauth: code exchange with B, then back into A's authorize
    browser.follow(until=REDIRECT)
    assert browser.url.startswith(REDIRECT), browser.text[:800]
    assert parse_qs(urlsplit(browser.url).query)["state"] == ["rp-state"]

    tokens = a_tokens(fed, code_of(browser.url), verifier)
    claims = a_id_token_claims(fed, tokens["id_token"])
    assert claims["sub"] == str(samuel.pk)  # signed in as A's existing user
    assert claims["iss"] == f"{fed.base}/oauth2/token"
    association = FederatedAssociation.objects.get(user=samuel)
    assert association.idp == fed.idp
    assert association.federated_user_id == str(upstream_sam.pk)  # B's subject
    assert User.objects.filter(organization=fed.tenant_a).count() == 3  # nobody provisioned
    linked = AuditLog.objects.filter(action="federated_association.created", target_id=str(samuel.pk)).get()
    assert linked.data["via"] == "lookup"
    assert AuditLog.objects.filter(action="authentication.federated", target_id=str(samuel.pk)).exists()

    # One SSO session per root organization: signing in at A did not end the browser's session at B.
    assert not AuthSession.objects.filter(ended_reason="replaced").exists()
    assert AuthSession.objects.get(user=upstream_sam).revoked_at is None
    assert AuthSession.objects.get(user=samuel).revoked_at is None
    for prefix, username in (("/t/acme", "sam"), ("", "samuel")):
        browser.get(f"{fed.base}{prefix}/myaccount/")
        assert browser.response.status_code == 200, (prefix, browser.response.status_code)
        assert f"<dd>{username}</dd>" in browser.text

    # The second time, the association alone decides (even after the local email changed).
    from apps.users.services import user_update

    user_update(actor=None, user=samuel, email="samuel@a.example")
    second = Browser()
    verifier = start_at_tenant_a(second, fed)
    sign_in_upstream(second, fed)
    second.get(second.url)
    second.follow(until=REDIRECT)
    assert a_id_token_claims(fed, a_tokens(fed, code_of(second.url), verifier)["id_token"])["sub"] == str(samuel.pk)


def test_jit_provisioning_creates_a_user_with_the_mapped_claims(federation):
    fed = federation
    idp_update(actor=None, idp=fed.idp, jit_enabled=True, associate_local_user=False, lookup_mappings=[])
    browser = Browser()
    verifier = start_at_tenant_a(browser, fed)
    sign_in_upstream(browser, fed)
    browser.get(browser.url)
    browser.follow(until=REDIRECT)
    assert browser.url.startswith(REDIRECT), browser.text[:800]
    sub = a_id_token_claims(fed, a_tokens(fed, code_of(browser.url), verifier)["id_token"])["sub"]
    created = User.objects.get(pk=sub, organization=fed.tenant_a)
    assert created.username == "sam@example.com"
    assert created.email == "sam@example.com"
    assert created.given_name == "Sam"
    assert created.attributes["employeeId"] == "E-1007"
    assert not created.has_usable_password()
    assert FederatedAssociation.objects.get(user=created).idp == fed.idp
    assert AuditLog.objects.filter(action="federated_association.created", data__via="jit").exists()


def test_jit_asks_for_a_required_attribute_the_idp_does_not_send(federation):
    from apps.attributes.services import local_claim_create

    fed = federation
    local_claim_create(
        actor=None,
        organization=fed.tenant_a,
        claim_uri="http://wso2.org/claims/badge",
        display_name="Badge",
        required=True,
    )
    idp_update(actor=None, idp=fed.idp, jit_enabled=True, associate_local_user=False, lookup_mappings=[])
    browser = Browser()
    verifier = start_at_tenant_a(browser, fed)
    sign_in_upstream(browser, fed)
    browser.get(browser.url)
    browser.follow()
    assert browser.response.status_code == 200
    assert "Badge" in browser.text
    assert 'name="attr_0"' in browser.text
    page = browser.text
    from tests.idp.conftest import hidden

    browser.post(
        "/authenticationendpoint/login",
        {"csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"), "flow": hidden(page, "flow"), "attr_0": ""},
    )
    assert browser.response.status_code == 400  # required: shown again with the error
    browser.post(
        "/authenticationendpoint/login",
        {"csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"), "flow": hidden(page, "flow"), "attr_0": "B-42"},
    )
    browser.follow(until=REDIRECT)
    assert browser.url.startswith(REDIRECT), browser.text[:800]
    sub = a_id_token_claims(fed, a_tokens(fed, code_of(browser.url), verifier)["id_token"])["sub"]
    assert User.objects.get(pk=sub).attributes["badge"] == "B-42"


def test_without_link_or_jit_the_sign_in_fails_with_a_clear_message(federation):
    fed = federation  # nobody in A matches sam's email + employee id, JIT is off
    browser = Browser()
    start_at_tenant_a(browser, fed)
    sign_in_upstream(browser, fed)
    browser.get(browser.url)
    browser.follow()
    assert browser.response.status_code == 200
    assert "is not linked to an account of this organization" in browser.text
    assert not FederatedAssociation.objects.exists()
    failure = AuditLog.objects.filter(action="authentication.step_failed").latest("id")
    assert failure.data["reason"] == "no_local_account"


def _with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query[name] = value
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def test_a_wrong_state_fails_closed(federation, make_user):
    fed = federation
    make_user(fed.tenant_a, "samuel", email="sam@example.com", attributes={"employeeId": "E-1007"})
    browser = Browser()
    start_at_tenant_a(browser, fed)
    sign_in_upstream(browser, fed)
    browser.get(_with_param(browser.url, "state", "forged-state"))
    assert browser.response.status_code == 400
    assert "not valid any more" in browser.text
    assert not FederatedAssociation.objects.exists()


def test_a_callback_from_another_browser_is_refused(federation, make_user):
    fed = federation
    make_user(fed.tenant_a, "samuel", email="sam@example.com", attributes={"employeeId": "E-1007"})
    victim = Browser()
    start_at_tenant_a(victim, fed)
    sign_in_upstream(victim, fed)
    attacker = Browser()
    attacker.get(victim.url)  # the callback URL (code + state) replayed elsewhere
    assert attacker.response.status_code == 400
    assert "another browser" in attacker.text
    assert not FederatedAssociation.objects.exists()


def test_a_wrong_nonce_in_the_id_token_fails_closed(federation, make_user):
    """The browser alters the nonce on its way to B: B signs an ID token with that nonce and A refuses it."""
    fed = federation
    make_user(fed.tenant_a, "samuel", email="sam@example.com", attributes={"employeeId": "E-1007"})
    browser = Browser()
    start_at_tenant_a(browser, fed)
    upstream = browser.response.headers["Location"]
    browser.response.headers["Location"] = _with_param(upstream, "nonce", "attacker-nonce")
    sign_in_upstream(browser, fed)
    browser.get(browser.url)
    browser.follow()
    assert browser.response.status_code == 200
    assert "did not work" in browser.text
    assert not FederatedAssociation.objects.exists()
    failure = AuditLog.objects.filter(action="authentication.step_failed").latest("id")
    assert failure.data["reason"] == "id_token_nonce_mismatch"


def test_a_replayed_callback_fails(federation, make_user):
    fed = federation
    make_user(fed.tenant_a, "samuel", email="sam@example.com", attributes={"employeeId": "E-1007"})
    browser = Browser()
    start_at_tenant_a(browser, fed)
    sign_in_upstream(browser, fed)
    callback = browser.url
    browser.get(callback)
    browser.follow(until=REDIRECT)
    assert browser.url.startswith(REDIRECT)
    browser.get(callback)
    assert browser.response.status_code == 400


def test_an_upstream_error_is_a_clear_failure(federation):
    fed = federation
    browser = Browser()
    start_at_tenant_a(browser, fed)
    upstream = urlsplit(browser.response.headers["Location"])
    state = parse_qs(upstream.query)["state"][0]
    browser.get(f"{fed.base}/commonauth?{urlencode({'error': 'access_denied', 'state': state})}")
    browser.follow()
    assert "was cancelled or refused" in browser.text
    failure = AuditLog.objects.filter(action="authentication.step_failed").latest("id")
    assert failure.data["reason"] == "upstream_error:access_denied"
