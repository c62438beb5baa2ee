"""Console pages for connections (create from a template, edit mappings and JIT/linking, delete), the
sign-in method editor offering "Sign in with <IdP>", and My Account's linked accounts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.core.models import AuditLog
from apps.idp.models import FederatedAssociation, IdentityProvider
from apps.idp.services import association_create
from tests.console.conftest import html
from tests.idp.test_api import EMAIL, EMPLOYEE, make_idp

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_create_a_generic_oidc_connection_with_inline_errors(console, root_org):
    page = console.get("/console/connections/")
    assert page.status_code == 200
    assert 'href="/console/connections/"' in html(page)
    assert "No connections yet." in html(page)
    assert "GitHub" in html(console.get("/console/connections/new/"))
    form = console.get("/console/connections/new/oidc/")
    assert "/commonauth" in html(form)  # the redirect URI to register upstream
    data = {
        "name": "Corp",
        "client_id": "client-1",
        "client_secret": "s3cret",
        "issuer": "https://idp.corp.example",
        "authorization_endpoint": "https://idp.corp.example/authorize",
        "token_endpoint": "http://idp.corp.example/token",
        "jwks_uri": "https://idp.corp.example/jwks",
    }
    bad = console.post("/console/connections/new/oidc/", data)
    assert bad.status_code == 400
    assert "must use https" in html(bad)
    created = console.post(
        "/console/connections/new/oidc/", {**data, "token_endpoint": "https://idp.corp.example/token"}
    )
    idp = IdentityProvider.objects.get(name="Corp")
    assert created.status_code == 302
    assert created["Location"] == f"/console/connections/{idp.pk}/"
    assert idp.client_id == "client-1"
    assert idp.client_secret_sealed


def test_edit_mappings_jit_and_linking_then_delete(console, root_org):
    idp = make_idp(root_org)
    page = console.get(f"/console/connections/{idp.pk}/")
    assert page.status_code == 200
    form = {
        "name": "Corp",
        "client_id": "client-1",
        "client_secret": "",
        "is_enabled": "on",
        "issuer": idp.issuer,
        "authorization_endpoint": idp.authorization_endpoint,
        "token_endpoint": idp.token_endpoint,
        "jwks_uri": idp.jwks_uri,
        "scopes": "openid email",
        "token_endpoint_auth_method": "client_secret_basic",
        "pkce": "on",
        "subject_claim": "sub",
        "jit_enabled": "on",
        "jit_scheme": "PROVISION_SILENTLY",
        "attribute_sync": "NONE",
        "associate_local_user": "on",
        "lookup_1_federated": "email",
        "lookup_1_local": EMAIL,
        "lookup_2_federated": "employee_id",
        "lookup_2_local": EMPLOYEE,
        "map_0_federated": "email",
        "map_0_local": EMAIL,
        "map_1_federated": "employee_id",
        "map_1_local": EMPLOYEE,
    }
    saved = console.post(f"/console/connections/{idp.pk}/", form)
    assert saved.status_code == 302, html(saved)
    idp.refresh_from_db()
    assert idp.jit_enabled
    assert idp.associate_local_user
    assert idp.lookup_mappings == [
        {"federated": "email", "local": EMAIL},
        {"federated": "employee_id", "local": EMPLOYEE},
    ]
    assert idp.claim_mappings[1] == {"federated": "employee_id", "local": EMPLOYEE}
    assert idp.client_secret_sealed  # kept

    twice = console.post(f"/console/connections/{idp.pk}/", {**form, "map_2_federated": "mail", "map_2_local": EMAIL})
    assert twice.status_code == 400
    assert "is mapped twice" in html(twice)

    removed = console.post(f"/console/connections/{idp.pk}/delete/")
    assert removed.status_code == 302
    assert not IdentityProvider.objects.exists()


def test_the_sign_in_method_editor_offers_the_organizations_idps_only(console, root_org, other_tenant):
    from apps.applications.services import application_create
    from apps.authn.services.sequences import sequence_for

    make_idp(root_org, "Corp")
    make_idp(other_tenant, "AcmeOnly")
    app, _secret = application_create(
        actor=None,
        organization=root_org,
        template_id="oidc-web-application",
        name="web",
        redirect_uris=["https://rp.example.com/cb"],
    )
    page = html(console.get(f"/console/applications/{app.uuid}/sign-in-method/"))
    assert 'value="federated:Corp"' in page
    assert "Sign in with Corp" in page
    assert "AcmeOnly" not in page
    saved = console.post(
        f"/console/applications/{app.uuid}/sign-in-method/",
        {"step_1": ["basic", "federated:Corp"], "backchannel_logout_uri": ""},
    )
    assert saved.status_code == 302
    assert sequence_for(app.pk) == [["basic", "federated:Corp"]]


def test_my_account_lists_and_removes_linked_accounts(root_org, make_user, signed_in):
    idp = make_idp(root_org)
    alice, bob = make_user(root_org, "alice"), make_user(root_org, "bob")
    mine = association_create(actor=None, user=alice, idp=idp, subject="alice-at-corp")
    theirs = association_create(actor=None, user=bob, idp=idp, subject="bob-at-corp")
    browser = signed_in(alice)
    page = browser.get("/myaccount/linked-accounts/")
    assert page.status_code == 200
    assert "alice-at-corp" in html(page)
    assert "bob-at-corp" not in html(page)
    assert 'href="/myaccount/linked-accounts/"' in html(page)
    assert browser.post(f"/myaccount/linked-accounts/{theirs.pk}/remove/").status_code == 404
    done = browser.post(f"/myaccount/linked-accounts/{mine.pk}/remove/", follow=True)
    assert "no longer linked" in html(done)
    assert "No linked accounts." in html(done)
    assert list(FederatedAssociation.objects.values_list("federated_user_id", flat=True)) == ["bob-at-corp"]
    assert AuditLog.objects.filter(action="federated_association.deleted", actor_id=str(alice.pk)).exists()
