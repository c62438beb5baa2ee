"""Acceptance (issue 8): a user of a depth-2 organization signs in to a shared application through
organization discovery on the root's login page (handle, email domain, picker and WSO2's authorize
parameters), gets a token of that organization with only its shared roles' scopes; introspection and
userinfo answer at the root and in the organization; switching to mode (c) changes that organization only."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from apps.applications.models import ApplicationShare
from apps.applications.services.sharing import (
    OrgShare,
    RoleSharingConfig,
    application_share,
    application_share_with_all,
    application_unshare_all,
)
from apps.keystores.selectors import keystore_jwks
from apps.orgs.discovery import discovery_attributes_set, discovery_config_update
from apps.users.models import Role
from apps.users.services.roles import role_assignments_change
from tests.conftest import USER_PASSWORD
from tests.oauth.helpers import basic, form_post, jwt_verified_claims, pkce_pair
from tests.sharing.conftest import shared_roles

REDIRECT = "https://rp.example.com/callback"
FUTURE = ApplicationShare.Policy.ALL_EXISTING_AND_FUTURE_ORGS
ONLY = ApplicationShare.Policy.SELECTED_ORG_ONLY


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _copy(app, org, name):
    return Role.objects.get(
        organization=org, audience_application=app.application, name=name, shared_from__isnull=False
    )


@pytest.fixture
def shared(tree, app_x, r1, r2, make_user):
    """Mode (b): R1 and R2 with every organization; gina (depth 2, in A1) holds R1 there."""
    application_share_with_all(
        actor=None,
        application=app_x.application,
        policy=FUTURE,
        role_sharing=RoleSharingConfig("SELECTED", ("R1", "R2")),
    )
    gina = make_user(tree.a1, "gina", email="gina@alpha-one.example")
    role_assignments_change(actor=None, role=_copy(app_x, tree.a1, "R1"), add_user_ids=[gina.pk])
    return gina


def _authorize_params(app, challenge, **more):
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid orders:read orders:write",
        "state": "st-9",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **more,
    }


def _flow(page) -> str:
    return re.search(r'name="flow" value="([^"]+)"', page.content.decode()).group(1)


def _sign_in_in_org(browser, org, location, username="gina"):
    """At the organization's authorize URL: its own login page, then back with a code."""
    assert location.startswith(f"/t/root/o/{org.id}/oauth2/authorize?"), location
    to_portal = browser.get(location)
    assert to_portal.status_code == 302
    assert urlsplit(to_portal["Location"]).path == f"/t/root/o/{org.id}/authenticationendpoint/login"
    page = browser.get(to_portal["Location"])
    assert page.status_code == 200
    done = browser.post(
        f"/t/root/o/{org.id}/authenticationendpoint/login",
        {"flow": _flow(page), "username": username, "password": USER_PASSWORD},
    )
    assert done.status_code == 302, done.content
    back = browser.get(done["Location"])
    assert back.status_code == 302
    assert back["Location"].startswith(REDIRECT + "?"), back["Location"]
    query = parse_qs(urlsplit(back["Location"]).query)
    assert query["iss"][0].endswith(f"/t/root/o/{org.id}/oauth2/token")
    return query["code"][0]


def _token(app, org, code, verifier):
    response = form_post(
        Client(),
        f"/t/root/o/{org.id}/oauth2/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier},
        HTTP_AUTHORIZATION=basic(app.client_id, app.secret),
    )
    assert response.status_code == 200, response.content
    return response.json()


def _discover_on_root_login_page(browser, app, challenge, **post):
    """Root authorize → root login page → "Sign in with your organization" → discovery form."""
    first = browser.get("/t/root/oauth2/authorize", _authorize_params(app, challenge))
    assert first.status_code == 302
    login_page = browser.get(first["Location"])
    assert login_page.status_code == 200
    link = re.search(r'href="([^"]*authenticationendpoint/organization\?[^"]+)"', login_page.content.decode())
    assert link, "the root's login page offers organization sign-in for a shared application"
    url = link.group(1).replace("&amp;", "&")
    form = browser.get(url)
    assert form.status_code == 200
    assert "Sign in with your organization" in form.content.decode()
    next_url = parse_qs(urlsplit(url).query)["next"][0]
    return browser.post("/t/root/authenticationendpoint/organization", {"next": next_url, **post})


def test_three_level_tree_discovery_by_handle_and_email_then_mode_switch(tree, app_x, shared, root_org):
    gina = shared
    discovery_config_update(actor=None, organization=root_org, properties={"emailDomain.enable": True})
    discovery_attributes_set(
        actor=None, organization=tree.a1, attributes=[{"type": "emailDomain", "values": ["Alpha-One.example"]}]
    )

    for post in ({"identifier": "alpha-one"}, {"identifier": "gina@alpha-one.example"}):
        browser = Client()
        verifier, challenge = pkce_pair()
        moved = _discover_on_root_login_page(browser, app_x, challenge, **post)
        assert moved.status_code == 302, moved.content
        if "@" in post["identifier"]:
            assert parse_qs(urlsplit(moved["Location"]).query)["login_hint"] == ["gina@alpha-one.example"]
        code = _sign_in_in_org(browser, tree.a1, moved["Location"])
        body = _token(app_x, tree.a1, code, verifier)
        assert body["scope"] == "openid orders:read"  # R1 only
        claims = jwt_verified_claims(body["access_token"], keystore_jwks(organization=root_org))
        assert claims["sub"] == str(gina.id)
        assert (claims["org_id"], claims["org_handle"], claims["org_name"]) == (
            str(tree.a1.id),
            "alpha-one",
            "Alpha One",
        )
        assert "user_org" not in claims  # gina lives in A1

    # Mode (c) for A1 with R2: R1 goes away in A1 only; gina's next token has no API scope.
    application_share(
        actor=None,
        application=app_x.application,
        organizations=[OrgShare(tree.a1.id, ONLY, RoleSharingConfig("SELECTED", ("R2",)))],
    )
    assert shared_roles(app_x, tree.a1) == {"R2"}
    assert all(shared_roles(app_x, org) == {"R1", "R2"} for org in (tree.a, tree.a2, tree.b))
    browser = Client()
    verifier, challenge = pkce_pair()
    moved = _discover_on_root_login_page(browser, app_x, challenge, identifier="alpha-one")
    body = _token(app_x, tree.a1, _sign_in_in_org(browser, tree.a1, moved["Location"]), verifier)
    assert body["scope"] == "openid"


def test_discovery_refusals_and_picker(tree, app_x, shared, root_org):
    verifier, challenge = pkce_pair()
    # Email-domain discovery is off by default; unknown handles and the root itself are not found.
    for identifier in ("gina@alpha-one.example", "nope", "root"):
        refused = _discover_on_root_login_page(Client(), app_x, challenge, identifier=identifier)
        assert refused.status_code == 400
        assert "No organization matches" in refused.content.decode()
    # An organization the application is not shared with is not offered.
    application_unshare_all(actor=None, application=app_x.application)
    application_share(
        actor=None, application=app_x.application, organizations=[OrgShare(tree.a.id, ONLY, RoleSharingConfig("ALL"))]
    )
    assert _discover_on_root_login_page(Client(), app_x, challenge, identifier="beta").status_code == 400
    # The picker lists only organizations the application is shared with (here: A), when on.
    discovery_config_update(actor=None, organization=root_org, properties={"organizationPicker.enable": True})
    browser = Client()
    first = browser.get("/t/root/oauth2/authorize", _authorize_params(app_x, challenge))
    login_page = browser.get(first["Location"]).content.decode()
    url = (
        re.search(r'href="([^"]*authenticationendpoint/organization\?[^"]+)"', login_page)
        .group(1)
        .replace("&amp;", "&")
    )
    page = browser.get(url).content.decode()
    assert f'value="{tree.a.id}"' in page
    assert f'value="{tree.b.id}"' not in page
    next_url = parse_qs(urlsplit(url).query)["next"][0]
    picked = browser.post(
        "/t/root/authenticationendpoint/organization", {"next": next_url, "organization": str(tree.a.id)}
    )
    assert picked.status_code == 302
    assert picked["Location"].startswith(f"/t/root/o/{tree.a.id}/oauth2/authorize?")
    forged = browser.post(
        "/t/root/authenticationendpoint/organization", {"next": next_url, "organization": str(tree.b.id)}
    )
    assert forged.status_code == 400
    # ``next`` must be an authorize request of this root's shared application.
    assert (
        browser.get("/t/root/authenticationendpoint/organization", {"next": "https://evil.example/"}).status_code == 400
    )


def test_wso2_authorize_discovery_parameters(tree, app_x, shared, root_org):
    discovery_config_update(actor=None, organization=root_org, properties={"emailDomain.enable": True})
    discovery_attributes_set(
        actor=None, organization=tree.a1, attributes=[{"type": "emailDomain", "values": ["alpha-one.example"]}]
    )
    _verifier, challenge = pkce_pair()
    cases = (
        {"fidp": "OrganizationSSO", "orgId": str(tree.a1.id)},
        {"fidp": "OrganizationSSO", "orgHandle": "alpha-one"},
        {"orgHandle": "alpha-one"},  # enhanced approach: the discovery parameter alone
        {"org": "Alpha One"},
        {"fidp": "OrganizationSSO", "orgDiscoveryType": "emailDomain", "login_hint": "gina@alpha-one.example"},
    )
    for extra in cases:
        response = Client().get("/t/root/oauth2/authorize", _authorize_params(app_x, challenge, **extra))
        assert response.status_code == 302, (extra, response.content)
        location = response["Location"]
        assert location.startswith(f"/t/root/o/{tree.a1.id}/oauth2/authorize?"), (extra, location)
        query = parse_qs(urlsplit(location).query)
        assert not {"fidp", "orgId", "orgHandle", "org", "orgDiscoveryType"} & set(query)
        assert query["client_id"] == [app_x.client_id]
    # fidp alone: the discovery page; an unknown organization: refused there.
    asked = Client().get("/t/root/oauth2/authorize", _authorize_params(app_x, challenge, fidp="OrganizationSSO"))
    assert asked.status_code == 302
    assert "/authenticationendpoint/organization?" in asked["Location"]
    unknown = Client().get("/t/root/oauth2/authorize", _authorize_params(app_x, challenge, orgHandle="beta-x"))
    assert unknown.status_code == 400


def test_org_token_introspection_and_userinfo_at_root_and_in_the_organization(
    tree, app_x, shared, root_org, admin_user
):
    browser = Client()
    verifier, challenge = pkce_pair()
    moved = browser.get("/t/root/oauth2/authorize", _authorize_params(app_x, challenge, orgHandle="alpha-one"))
    body = _token(app_x, tree.a1, _sign_in_in_org(browser, tree.a1, moved["Location"]), verifier)
    token = body["access_token"]
    auth = {"HTTP_AUTHORIZATION": basic(app_x.client_id, app_x.secret)}
    for where in ("/t/root", f"/t/root/o/{tree.a1.id}"):
        seen = form_post(Client(), f"{where}/oauth2/introspect", {"token": token}, **auth).json()
        assert seen["active"] is True, where
        assert (seen["org_id"], seen["org_handle"], seen["org_name"]) == (str(tree.a1.id), "alpha-one", "Alpha One")
        assert "user_org" not in seen
        info = Client().get(f"{where}/oauth2/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert info.status_code == 200, (where, info.content)
        assert info.json()["sub"] == str(shared.id)
    # A sibling organization knows nothing of it.
    sibling = form_post(Client(), f"/t/root/o/{tree.a2.id}/oauth2/introspect", {"token": token}, **auth)
    assert sibling.json() == {"active": False}
    assert (
        Client().get(f"/t/root/o/{tree.a2.id}/oauth2/userinfo", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    )
    # The refresh token introspects in the organization too.
    if "refresh_token" in body:
        refresh = form_post(
            Client(), f"/t/root/o/{tree.a1.id}/oauth2/introspect", {"token": body["refresh_token"]}, **auth
        )
        assert refresh.json()["active"] is True
        assert refresh.json()["org_id"] == str(tree.a1.id)


def test_switched_token_carries_user_org(tree, app_x, r1, root_org, admin_user):
    application_share_with_all(
        actor=None, application=app_x.application, policy=FUTURE, role_sharing=RoleSharingConfig("ALL")
    )
    role_assignments_change(actor=None, role=_copy(app_x, tree.a1, "R1"), add_user_ids=[admin_user.pk])
    browser = Client()
    browser.force_login(admin_user)
    verifier, challenge = pkce_pair()
    first = browser.get("/t/root/oauth2/authorize", _authorize_params(app_x, challenge))
    code = parse_qs(urlsplit(first["Location"]).query)["code"][0]
    root_token = form_post(
        Client(),
        "/t/root/oauth2/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier},
        HTTP_AUTHORIZATION=basic(app_x.client_id, app_x.secret),
    ).json()["access_token"]
    switched = form_post(
        Client(),
        "/t/root/oauth2/token",
        {
            "grant_type": "organization_switch",
            "token": root_token,
            "switching_organization": str(tree.a1.id),
            "scope": "orders:read",
        },
        HTTP_AUTHORIZATION=basic(app_x.client_id, app_x.secret),
    ).json()["access_token"]
    claims = jwt_verified_claims(switched, keystore_jwks(organization=root_org))
    assert claims["org_id"] == str(tree.a1.id)
    assert claims["user_org"] == str(root_org.id)
    seen = form_post(
        Client(),
        f"/t/root/o/{tree.a1.id}/oauth2/introspect",
        {"token": switched},
        HTTP_AUTHORIZATION=basic(app_x.client_id, app_x.secret),
    ).json()
    assert seen["active"] is True
    assert seen["org_handle"] == "alpha-one"
    assert seen["user_org"] == str(root_org.id)
    assert "scope" in seen
    assert "orders:read" in seen["scope"]
