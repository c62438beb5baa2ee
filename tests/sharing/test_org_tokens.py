"""Acceptance: a user of a depth-2 organization signs in to a shared app at ``/t/root/o/<org>/...`` and
gets that organization's claims and only its shared roles' scopes; organization_switch for a root admin."""

from __future__ import annotations

from django.test import Client

from apps.applications.models import ApplicationShare
from apps.applications.services.sharing import (
    OrgShare,
    RoleSharingConfig,
    application_share,
    application_share_with_all,
    application_unshare,
)
from apps.keystores.selectors import keystore_jwks
from apps.users.models import Role
from apps.users.services import role_create
from apps.users.services.roles import role_assignments_change
from tests.oauth.helpers import basic, form_post, jwt_verified_claims, pkce_pair
from tests.oauth.test_authorization_code import exchange, get_code
from tests.sharing.conftest import shared_roles

FUTURE = ApplicationShare.Policy.ALL_EXISTING_AND_FUTURE_ORGS
ONLY = ApplicationShare.Policy.SELECTED_ORG_ONLY


def _prefix(org) -> str:
    return f"/t/root/o/{org.id}"


def _copy(app, org, name):
    return Role.objects.get(
        organization=org, audience_application=app.application, name=name, shared_from__isnull=False
    )


def _sign_in_and_get_token(app, user, org, scope="openid orders:read orders:write"):
    browser = Client()
    browser.force_login(user)
    verifier, challenge = pkce_pair()
    code = get_code(browser, app, scope=scope, challenge=challenge, url=f"{_prefix(org)}/oauth2/authorize")
    response = exchange(Client(), app, code, verifier, url=f"{_prefix(org)}/oauth2/token")
    assert response.status_code == 200, response.content
    return response.json()


def test_three_level_tree_org_login_and_mode_switch(tree, app_x, r1, r2, make_user, root_org):
    # The root shares app X in mode (b): R1 and R2 with every organization.
    application_share_with_all(
        actor=None,
        application=app_x.application,
        policy=FUTURE,
        role_sharing=RoleSharingConfig("SELECTED", ("R1", "R2")),
    )
    gina = make_user(tree.a1, "gina")
    role_assignments_change(actor=None, role=_copy(app_x, tree.a1, "R1"), add_user_ids=[gina.pk])

    body = _sign_in_and_get_token(app_x, gina, tree.a1)
    assert body["scope"] == "openid orders:read"  # only R1's scopes
    claims = jwt_verified_claims(body["access_token"], keystore_jwks(organization=root_org))
    assert claims["sub"] == str(gina.id)
    assert claims["org_id"] == str(tree.a1.id)
    assert claims["org_handle"] == "alpha-one"
    assert claims["org_name"] == "Alpha One"
    assert claims["iss"].endswith(f"{_prefix(tree.a1)}/oauth2/token")

    # Mode (c): A1 gets R2 only; R1 goes away there (with gina's assignment) and nowhere else.
    application_share(
        actor=None,
        application=app_x.application,
        organizations=[OrgShare(tree.a1.id, ONLY, RoleSharingConfig("SELECTED", ("R2",)))],
    )
    assert shared_roles(app_x, tree.a1) == {"R2"}
    for org in (tree.a, tree.a2, tree.b):
        assert shared_roles(app_x, org) == {"R1", "R2"}
    body = _sign_in_and_get_token(app_x, gina, tree.a1)
    assert body["scope"] == "openid"


def test_an_unshared_application_is_unknown_in_the_organization(tree, app_x, make_user):
    hank = make_user(tree.b, "hank")
    browser = Client()
    browser.force_login(hank)
    response = browser.get(
        f"{_prefix(tree.b)}/oauth2/authorize",
        {"response_type": "code", "client_id": app_x.client_id, "redirect_uri": "https://rp.example.com/callback"},
    )
    assert response.status_code == 400
    token = form_post(
        Client(),
        f"{_prefix(tree.b)}/oauth2/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app_x.client_id, app_x.secret),
    )
    assert token.status_code == 401
    assert token.json()["error"] == "invalid_client"


# --- organization_switch -----------------------------------------------------------------------------


def _root_token(app, user, root_org, scope="openid orders:read orders:write"):
    browser = Client()
    browser.force_login(user)
    verifier, challenge = pkce_pair()
    code = get_code(browser, app, scope=scope, challenge=challenge)
    response = exchange(Client(), app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def _switch(app, token, org_id, scope="orders:read orders:write", url="/oauth2/token"):
    return form_post(
        Client(),
        url,
        {"grant_type": "organization_switch", "token": token, "switching_organization": str(org_id), "scope": scope},
        HTTP_AUTHORIZATION=basic(app.client_id, app.secret),
    )


def test_organization_switch_gives_exactly_the_scopes_of_the_roles_held_there(
    tree, app_x, r1, r2, admin_user, root_org, other_tenant
):
    application_share_with_all(
        actor=None, application=app_x.application, policy=FUTURE, role_sharing=RoleSharingConfig("ALL")
    )
    # The root admin holds R2 in A1 only, and holds R1 at the root.
    role_assignments_change(actor=None, role=r1, add_user_ids=[admin_user.pk])
    role_assignments_change(actor=None, role=_copy(app_x, tree.a1, "R2"), add_user_ids=[admin_user.pk])
    token = _root_token(app_x, admin_user, root_org)

    response = _switch(app_x, token, tree.a1.id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "orders:write"
    assert "refresh_token" not in body
    claims = jwt_verified_claims(body["access_token"], keystore_jwks(organization=root_org))
    assert claims["sub"] == str(admin_user.id)
    assert claims["org_id"] == str(tree.a1.id)
    assert claims["org_handle"] == "alpha-one"

    # In B the admin holds nothing: a token without API scopes.
    nothing = _switch(app_x, token, tree.b.id)
    assert nothing.status_code == 200
    assert "scope" not in nothing.json()

    # An organization outside the tree, or unknown: invalid_grant.
    for outside in (other_tenant.id, "0f0f0f0f-0000-0000-0000-000000000000", "junk"):
        refused = _switch(app_x, token, outside)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"


def test_organization_switch_refusals(tree, app_x, r1, admin_user, root_org, make_user, make_app, orders_api):
    application_share(
        actor=None,
        application=app_x.application,
        organizations=[OrgShare(tree.a.id, ONLY, RoleSharingConfig("ALL"))],
    )
    token = _root_token(app_x, admin_user, root_org, scope="openid")
    # Not shared with A1 (SELECTED_ORG_ONLY on A).
    assert _switch(app_x, token, tree.a1.id).json()["error"] == "invalid_grant"
    # A token of another client cannot be switched with this one.
    other = make_app(root_org, name="other", apis={orders_api: ["orders:read"]})
    application_share(
        actor=None, application=other.application, organizations=[OrgShare(tree.a.id, ONLY, RoleSharingConfig("ALL"))]
    )
    assert _switch(other, token, tree.a.id).json()["error"] == "invalid_grant"
    # A user of A cannot switch up to the root or across to B.
    ivy = make_user(tree.a, "ivy")
    role_create(actor=None, organization=tree.b, name="B-ops")
    ivy_token = _sign_in_and_get_token(app_x, ivy, tree.a, scope="openid")["access_token"]
    for target in (tree.b.id, root_org.id):
        refused = _switch(app_x, ivy_token, target, url=f"{_prefix(tree.a)}/oauth2/token")
        assert refused.json()["error"] == "invalid_grant"
    # Missing parameters.
    missing = form_post(
        Client(),
        "/oauth2/token",
        {"grant_type": "organization_switch", "token": token},
        HTTP_AUTHORIZATION=basic(app_x.client_id, app_x.secret),
    )
    assert missing.json()["error"] == "invalid_request"
    # After unsharing, the switch stops working.
    application_unshare(actor=None, application=app_x.application, organization_ids=[tree.a.id])
    assert _switch(app_x, token, tree.a.id).json()["error"] == "invalid_grant"


def test_metadata_advertises_the_grant(client, root_org):
    document = client.get("/oauth2/token/.well-known/openid-configuration").json()
    assert "organization_switch" in document["grant_types_supported"]


def test_organization_switch_counts_an_organization_role_held_by_the_root_admin(
    tree, app_x, admin_user, root_org, orders_api
):
    application_share_with_all(
        actor=None, application=app_x.application, policy=FUTURE, role_sharing=RoleSharingConfig("NONE")
    )
    role_create(
        actor=None, organization=tree.b, name="B readers", permissions=["orders:read"], user_ids=[admin_user.pk]
    )
    token = _root_token(app_x, admin_user, root_org, scope="openid")
    body = _switch(app_x, token, tree.b.id).json()
    assert body["scope"] == "orders:read"
    assert "scope" not in _switch(app_x, token, tree.a.id).json()
