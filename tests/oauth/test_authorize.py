"""The authorize endpoint and the login page: redirects only to registered URIs, RFC 6749 §4.1.2.1 errors,
prompt handling, and a login form that never tells whether an account exists."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.oauth.conftest import PASSWORD, REDIRECT
from tests.oauth.helpers import pkce_pair, query_of

AUTHORIZE = "/oauth2/authorize"


def params(app, **more):
    _verifier, challenge = pkce_pair()
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **more,
    }


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.com/callback",
        "https://rp.example.com/callback/../evil",
        "https://rp.example.com/callback?x=1",
        "https://rp.example.com/CALLBACK",
        "//evil.example.com",
        "javascript:alert(1)",
    ],
)
def test_unregistered_redirect_uris_get_an_error_page_never_a_redirect(browser, web, redirect_uri):
    response = browser.get(AUTHORIZE, params(web, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "Location" not in response
    assert b"redirect_uri" in response.content


@pytest.mark.parametrize("client_id", ["", "unknown-client"])
def test_unknown_client_gets_an_error_page(browser, web, client_id):
    response = browser.get(AUTHORIZE, params(web, client_id=client_id))
    assert response.status_code == 400
    assert "Location" not in response


def test_client_of_another_tenant_is_unknown_here(browser, other_tenant, make_app):
    acme_app = make_app(other_tenant, name="acme-web")
    response = browser.get(AUTHORIZE, params(acme_app))
    assert response.status_code == 400
    assert "Location" not in response


def test_duplicate_redirect_uri_is_an_error_page(browser, web):
    query = f"client_id={web.client_id}&redirect_uri={REDIRECT}&redirect_uri={REDIRECT}&response_type=code"
    response = browser.get(f"{AUTHORIZE}?{query}")
    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": "", "code_challenge_method": ""}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"resource": "https://api.example.com/unknown"}, "invalid_target"),
        ({"scope": "bad\\scope"}, "invalid_scope"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ],
)
def test_errors_after_the_redirect_uri_is_known_go_back_to_it(browser, web, change, error):
    response = browser.get(AUTHORIZE, params(web, **change))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(REDIRECT + "?")
    query = query_of(location)
    assert query["error"] == error
    assert query["state"] == "xyz"
    assert query["iss"] == "http://127.0.0.1:8000/oauth2/token"


def test_m2m_app_may_not_use_the_code_flow(browser, root_org, make_app):
    app = make_app(root_org, "oidc-web-application", "cc-only")
    from apps.applications.models import Application

    Application.objects.filter(pk=app.application.pk).update(grant_types=["client_credentials"])
    response = browser.get(AUTHORIZE, params(app))
    assert query_of(response["Location"])["error"] == "unauthorized_client"


def test_public_client_without_pkce_is_refused(browser, root_org, make_app):
    spa = make_app(root_org, "react-application", "spa")
    response = browser.get(AUTHORIZE, params(spa, code_challenge="", code_challenge_method=""))
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_registered_redirect_uri_keeps_its_query(browser, root_org, make_app):
    app = make_app(root_org, name="with-query", redirect_uris=["https://rp.example.com/cb?tenant=7"])
    response = browser.get(AUTHORIZE, params(app, redirect_uri="https://rp.example.com/cb?tenant=7"))
    query = query_of(response["Location"])
    assert query["tenant"] == "7"
    assert query["code"]


def test_redirect_uri_may_be_omitted_when_only_one_is_registered(browser, web):
    p = params(web)
    del p["redirect_uri"]
    response = browser.get(AUTHORIZE, p)
    assert response["Location"].startswith(REDIRECT + "?code=")


def test_prompt_none_without_a_session_is_login_required(client, web):
    response = client.get(AUTHORIZE, params(web, prompt="none"))
    assert query_of(response["Location"])["error"] == "login_required"


def test_without_a_session_the_user_is_sent_to_the_login_page_and_back(client, web, alice):
    response = client.get(AUTHORIZE, params(web))
    assert response.status_code == 302
    login_url = response["Location"]
    assert urlsplit(login_url).path == "/authenticationendpoint/login"
    page = client.get(login_url)
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content
    next_url = query_of(login_url)["next"]
    done = client.post(login_url, {"username": "alice", "password": PASSWORD, "next": next_url})
    assert done.status_code == 302
    assert done["Location"] == next_url
    final = client.get(done["Location"])
    assert final["Location"].startswith(REDIRECT + "?code=")


def test_prompt_login_forces_the_login_page_even_with_a_session(browser, web):
    response = browser.get(AUTHORIZE, params(web, prompt="login"))
    assert urlsplit(response["Location"]).path == "/authenticationendpoint/login"
    assert "prompt" not in query_of(query_of(response["Location"])["next"])


def test_a_session_of_another_tenant_does_not_count(web, other_admin):
    browser = Client()
    browser.force_login(other_admin)
    response = browser.get(AUTHORIZE, params(web))
    assert urlsplit(response["Location"]).path == "/authenticationendpoint/login"


def test_tenant_login_page_and_redirect_stay_in_the_tenant(other_tenant, make_app, make_user):
    app = make_app(other_tenant, name="acme-web")
    make_user(other_tenant, "carol")
    browser = Client()
    response = browser.get("/t/acme/oauth2/authorize", params(app))
    assert urlsplit(response["Location"]).path == "/t/acme/authenticationendpoint/login"
    done = browser.post(
        response["Location"],
        {"username": "carol", "password": PASSWORD, "next": query_of(response["Location"])["next"]},
    )
    final = browser.get(done["Location"])
    query = query_of(final["Location"])
    assert query["code"]
    assert query["iss"] == "http://127.0.0.1:8000/t/acme/oauth2/token"


def test_login_failures_all_look_the_same(client, alice):
    wrong = client.post("/oauth2/login", {"username": "alice", "password": "wrong-password"})
    unknown = client.post("/oauth2/login", {"username": "nobody", "password": "wrong-password"})
    assert wrong.status_code == unknown.status_code == 400
    assert b"Incorrect username or password." in wrong.content
    strip = lambda page: re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page)  # noqa: E731
    assert strip(wrong.content).replace(b"alice", b"nobody") == strip(unknown.content)


def test_login_page_requires_csrf(alice):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/oauth2/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.com/",
        "//evil.example.com/oauth2/authorize",
        "http://[::1/oauth2/authorize",
        "/\\evil.example.com/oauth2/authorize",
    ],
)
def test_login_never_redirects_outside_the_authorize_endpoint(client, alice, next_url):
    response = client.post(f"/oauth2/login?next={next_url}", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/myaccount/"


@pytest.mark.parametrize("next_url", ["/console/", "/oauth2/authorizeX?a=1"])
def test_login_follows_a_next_path_on_this_site(client, alice, next_url):
    """The portal serves the Console and My Account too: any path of this site is a valid return."""
    response = client.post(f"/oauth2/login?next={next_url}", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == next_url


def test_login_page_has_no_inline_script(client, root_org):
    page = client.get("/oauth2/login", follow=True).content.decode()
    assert "<script>" not in page
    assert "onclick" not in page


def _age_session(browser, seconds):
    import time

    from apps.oauth.views.authorize import AUTH_TIME_SESSION_KEY

    session = browser.session
    session[AUTH_TIME_SESSION_KEY] = int(time.time()) - seconds
    session.save()


def test_max_age_within_the_session_age_issues_a_code_without_a_prompt(browser, web):
    _age_session(browser, 60)
    response = browser.get(AUTHORIZE, params(web, max_age="3600"))
    assert response["Location"].startswith(REDIRECT + "?code=")


def test_max_age_older_than_the_session_forces_a_fresh_login_whose_time_reaches_the_id_token(client, browser, web):
    """OIDC Core §3.1.2.1: an authentication older than max_age seconds does not count."""
    from apps.keystores.selectors import keystore_jwks
    from tests.oauth.helpers import jwt_verified_claims
    from tests.oauth.test_authorization_code import exchange

    _age_session(browser, 7200)
    verifier, challenge = pkce_pair()
    asked = {**params(web, max_age="600"), "code_challenge": challenge}
    response = browser.get(AUTHORIZE, asked)
    login_url = response["Location"]
    assert urlsplit(login_url).path == "/authenticationendpoint/login"
    next_url = query_of(login_url)["next"]
    assert "max_age" not in query_of(next_url)  # the login about to happen is fresh
    done = browser.post(login_url, {"username": "alice", "password": PASSWORD, "next": next_url})
    code = query_of(browser.get(done["Location"])["Location"])["code"]
    body = exchange(client, web, code, verifier).json()
    import time

    claims = jwt_verified_claims(body["id_token"], keystore_jwks(organization=web.application.organization))
    assert time.time() - claims["auth_time"] < 60


def test_max_age_with_prompt_none_and_an_old_session_is_login_required(browser, web):
    _age_session(browser, 7200)
    response = browser.get(AUTHORIZE, params(web, max_age="60", prompt="none"))
    assert query_of(response["Location"])["error"] == "login_required"


@pytest.mark.parametrize("value", ["-1", "abc", "1e3", "99999999999"])
def test_a_malformed_max_age_is_invalid_request(browser, web, value):
    response = browser.get(AUTHORIZE, params(web, max_age=value))
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_login_hint_prefills_the_username_on_the_login_page(client, web):
    response = client.get(AUTHORIZE, params(web, login_hint="alice@example.com"))
    login_url = response["Location"]
    assert query_of(login_url)["login_hint"] == "alice@example.com"
    page = client.get(login_url).content.decode()
    assert re.search(r'name="username"[^>]*value="alice@example.com"', page)


@pytest.mark.parametrize(
    ("registered", "used"),
    [
        ("http://127.0.0.1/callback", "http://127.0.0.1:51234/callback"),
        ("http://127.0.0.1:8080/callback", "http://127.0.0.1:33333/callback"),
        ("http://[::1]/cb", "http://[::1]:49152/cb"),
        ("http://localhost:3000/oauth/callback", "http://localhost:62000/oauth/callback"),
    ],
)
def test_a_loopback_redirect_uri_may_use_any_port(client, browser, root_org, make_app, registered, used):
    """RFC 8252 §7.3: native apps and MCP clients listen on whatever loopback port is free; the code is
    bound to the URI actually used, which the exchange must repeat."""
    from tests.oauth.test_authorization_code import exchange

    app = make_app(root_org, "oidc-web-application", name="native", redirect_uris=[registered])
    verifier, challenge = pkce_pair()
    response = browser.get(AUTHORIZE, {**params(app, redirect_uri=used), "code_challenge": challenge})
    assert response.status_code == 302
    assert response["Location"].startswith(used + "?")
    code = query_of(response["Location"])["code"]
    assert exchange(client, app, code, verifier, redirect_uri=registered).json()["error"] == "invalid_grant"
    verifier, challenge = pkce_pair()
    response = browser.get(AUTHORIZE, {**params(app, redirect_uri=used), "code_challenge": challenge})
    code = query_of(response["Location"])["code"]
    assert exchange(client, app, code, verifier, redirect_uri=used).status_code == 200


@pytest.mark.parametrize(
    "used",
    [
        "http://127.0.0.1:51234/other",  # another path
        "http://127.0.0.1:51234/callback?x=1",  # another query
        "https://127.0.0.1:51234/callback",  # another scheme
        "http://127.0.0.2:51234/callback",  # not the registered host
        "http://evil@127.0.0.1:51234/callback",  # userinfo
        "http://127.0.0.1:99999/callback",  # not a port
        "http://127.0.0.1.evil.example:80/callback",
    ],
)
def test_only_the_port_of_a_loopback_redirect_uri_may_differ(browser, root_org, make_app, used):
    app = make_app(root_org, "oidc-web-application", name="native", redirect_uris=["http://127.0.0.1/callback"])
    response = browser.get(AUTHORIZE, params(app, redirect_uri=used))
    assert response.status_code == 400
    assert "Location" not in response


def test_a_non_loopback_http_redirect_uri_port_must_match(browser, root_org, make_app):
    app = make_app(root_org, name="web-port", redirect_uris=["https://rp.example.com:8443/cb"])
    response = browser.get(AUTHORIZE, params(app, redirect_uri="https://rp.example.com:9443/cb"))
    assert response.status_code == 400
