"""UserInfo (OIDC Core §5.3, RFC 6750 errors) and RP-initiated logout."""

from __future__ import annotations

from urllib.parse import urlencode

from django.test import Client

from tests.oauth.helpers import form_post, query_of
from tests.oauth.test_introspection_revocation import cc_token
from tests.oauth.test_refresh import login_tokens

USERINFO = "/oauth2/userinfo"


def test_userinfo_returns_the_claims_of_the_granted_scopes(client, browser, web, alice):
    tokens = login_tokens(client, browser, web, scope="openid email")
    response = client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert response.status_code == 200
    assert response.json() == {"sub": str(alice.id), "email": "alice@example.com", "email_verified": False}
    posted = form_post(client, USERINFO, {"access_token": tokens["access_token"]})
    assert posted.status_code == 200
    assert posted.json()["sub"] == str(alice.id)


def test_userinfo_errors_carry_bearer_challenges(client, browser, web, m2m):
    response = client.get(USERINFO)
    assert response.status_code == 401
    # RFC 9449 §7.2: no error details without credentials; the DPoP scheme is offered beside Bearer.
    assert (
        response["WWW-Authenticate"] == 'Bearer realm="userinfo", DPoP realm="userinfo", algs="ES256 RS256 PS256 EdDSA"'
    )
    response = client.get(USERINFO, HTTP_AUTHORIZATION="Bearer nonsense")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    no_openid = login_tokens(client, browser, web, scope="orders:read")["access_token"]
    response = client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {no_openid}")
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    app_token = cc_token(client, m2m)["access_token"]
    assert client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {app_token}").status_code == 401
    assert client.get(USERINFO, HTTP_AUTHORIZATION="Basic abc").status_code == 400
    assert client.get(f"{USERINFO}?access_token={no_openid}").status_code == 401  # never from the query


def test_a_token_of_tenant_a_is_refused_at_tenant_b_userinfo(client, browser, web, other_tenant):
    tokens = login_tokens(client, browser, web)
    response = client.get("/t/acme/oauth2/userinfo", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_logout_with_a_valid_hint_signs_out_and_redirects_to_a_registered_uri(client, browser, web):
    tokens = login_tokens(client, browser, web)
    query = urlencode(
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://rp.example.com/bye", "state": "s1"}
    )
    response = browser.get(f"/oauth2/logout?{query}")
    assert response.status_code == 302
    assert response["Location"] == "https://rp.example.com/bye?state=s1"
    assert "_auth_user_id" not in browser.session
    assert "iam_sso" not in browser.session  # nor signed in at any root organization


def test_logout_never_redirects_to_an_unregistered_uri(browser, web):
    for query in (
        {"client_id": web.client_id, "post_logout_redirect_uri": "https://evil.example.com/"},
        {"post_logout_redirect_uri": "https://rp.example.com/bye"},  # no client named
        {"id_token_hint": "not-a-jwt", "post_logout_redirect_uri": "https://rp.example.com/bye"},
    ):
        response = browser.get(f"/oauth2/logout?{urlencode(query)}")
        assert response.status_code == 400
        assert "Location" not in response
    assert "_auth_user_id" in browser.session


def test_logout_without_a_hint_asks_for_confirmation(browser, web):
    page = browser.get(f"/oauth2/logout?client_id={web.client_id}")
    assert page.status_code == 200
    assert "_auth_user_id" in browser.session
    assert b"logout_token" in page.content
    forged = browser.post("/oauth2/logout", {"logout_token": "forged"})
    assert forged.status_code == 200
    assert "_auth_user_id" in browser.session
    token = page.content.decode().split('name="logout_token" value="')[1].split('"')[0]
    done = browser.post("/oauth2/logout", {"logout_token": token, "client_id": web.client_id})
    assert done.status_code == 200
    assert "_auth_user_id" not in browser.session
    assert "iam_sso" not in browser.session  # nor signed in at any root organization


def test_logout_with_nobody_signed_in_just_finishes(web):
    response = Client().get(
        f"/oauth2/logout?{urlencode({'client_id': web.client_id, 'post_logout_redirect_uri': 'https://rp.example.com/bye'})}"
    )
    assert response.status_code == 302
    assert query_of(response["Location"]) == {}


def test_a_disabled_organization_issues_and_honours_nothing(client, browser, web, m2m, root_org):
    from apps.orgs.models import Organization

    tokens = login_tokens(client, browser, web)
    from apps.orgs.selectors import organization_cache_forget

    # As another process would: a bulk update, then this process's cached tenant expires.
    Organization.objects.filter(pk=root_org.pk).update(status=Organization.Status.DISABLED)
    organization_cache_forget()
    assert client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").status_code == 401
    assert cc_token_status(client, m2m) == 401
    assert browser.get("/oauth2/authorize", {"client_id": web.client_id}).status_code == 403


def cc_token_status(client, app):
    from tests.oauth.helpers import basic

    response = form_post(
        client,
        "/oauth2/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, app.secret),
    )
    return response.status_code
