"""Discovery and RFC 8414 metadata: per tenant, path insertion, and every advertised endpoint and method works."""

from __future__ import annotations

import pytest

from tests.oauth.helpers import basic, form_post, pkce_pair, query_of
from tests.oauth.test_authorization_code import exchange, get_code

BASE = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("url", "issuer"),
    [
        ("/oauth2/token/.well-known/openid-configuration", f"{BASE}/oauth2/token"),
        ("/.well-known/openid-configuration", f"{BASE}/oauth2/token"),
        ("/.well-known/oauth-authorization-server", f"{BASE}/oauth2/token"),
        ("/.well-known/oauth-authorization-server/oauth2/token", f"{BASE}/oauth2/token"),
        ("/t/root/oauth2/token/.well-known/openid-configuration", f"{BASE}/oauth2/token"),
        ("/t/acme/oauth2/token/.well-known/openid-configuration", f"{BASE}/t/acme/oauth2/token"),
        ("/.well-known/oauth-authorization-server/t/acme/oauth2/token", f"{BASE}/t/acme/oauth2/token"),
        ("/.well-known/openid-configuration/t/acme/oauth2/token", f"{BASE}/t/acme/oauth2/token"),
        ("/t/acme/.well-known/oauth-authorization-server", f"{BASE}/t/acme/oauth2/token"),
    ],
)
def test_every_discovery_variant_names_the_right_issuer(client, root_org, other_tenant, url, issuer):
    response = client.get(url)
    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == issuer
    assert document["token_endpoint"] == issuer
    assert document["authorization_endpoint"] == issuer.replace("/token", "/authorize")
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert document["subject_types_supported"] == ["public"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


@pytest.mark.parametrize(
    "url",
    [
        "/.well-known/oauth-authorization-server/t/nope/oauth2/token",
        "/.well-known/oauth-authorization-server/t/acme/oauth2/other",
        "/.well-known/oauth-authorization-server/t/acme/o/not-a-uuid/oauth2/token",
    ],
)
def test_unknown_issuers_are_404(client, root_org, other_tenant, url):
    assert client.get(url).status_code == 404


def test_every_advertised_endpoint_answers(client, root_org, web, m2m, browser):
    document = client.get("/.well-known/openid-configuration").json()
    local = {key: value.removeprefix(BASE) for key, value in document.items() if isinstance(value, str)}
    assert client.get(local["jwks_uri"]).json()["keys"]
    assert browser.get(local["authorization_endpoint"], {"client_id": web.client_id}).status_code in (200, 302, 400)
    assert client.get(local["end_session_endpoint"]).status_code == 200
    assert client.get(local["userinfo_endpoint"]).status_code == 401
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        assert form_post(client, local[name], {}).status_code in (400, 401)


def test_every_advertised_method_works(client, root_org, web, m2m, browser, make_app, orders_api):
    """Grant types, client authentication methods, PKCE S256 and the id_token algorithm, end to end."""
    document = client.get("/.well-known/oauth-authorization-server").json()
    token_url = document["token_endpoint"].removeprefix(BASE)
    assert set(document["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    # client_credentials with client_secret_basic and client_secret_post
    basic_body = form_post(
        client, token_url, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret)
    ).json()
    post_body = form_post(
        client, token_url, {"grant_type": "client_credentials", "client_id": m2m.client_id, "client_secret": m2m.secret}
    ).json()
    assert basic_body["access_token"]
    assert post_body["access_token"]
    # authorization_code + S256 with "none" (public client), then refresh_token
    spa = make_app(root_org, "react-application", "spa", apis={orders_api: ["orders:read"]})
    verifier, challenge = pkce_pair()
    tokens = exchange(client, spa, get_code(browser, spa, challenge=challenge), verifier).json()
    assert tokens["id_token"]
    refreshed = form_post(
        client,
        token_url,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": spa.client_id},
    )
    assert refreshed.status_code == 200
    introspect_url = document["introspection_endpoint"].removeprefix(BASE)
    for method in document["introspection_endpoint_auth_methods_supported"]:
        data = {"token": basic_body["access_token"]}
        if method == "client_secret_basic":
            response = form_post(client, introspect_url, data, HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret))
        else:
            response = form_post(
                client, introspect_url, {**data, "client_id": m2m.client_id, "client_secret": m2m.secret}
            )
        assert response.json()["active"] is True
    revoke_url = document["revocation_endpoint"].removeprefix(BASE)
    for method in document["revocation_endpoint_auth_methods_supported"]:
        if method == "client_secret_basic":
            response = form_post(
                client,
                revoke_url,
                {"token": basic_body["access_token"]},
                HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret),
            )
        elif method == "client_secret_post":
            response = form_post(
                client,
                revoke_url,
                {"token": post_body["access_token"], "client_id": m2m.client_id, "client_secret": m2m.secret},
            )
        else:
            response = form_post(
                client, revoke_url, {"token": refreshed.json()["refresh_token"], "client_id": spa.client_id}
            )
        assert response.status_code == 200
    for prompt in document["prompt_values_supported"]:
        response = browser.get(
            document["authorization_endpoint"].removeprefix(BASE),
            {
                "client_id": spa.client_id,
                "response_type": "code",
                "scope": "openid",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "prompt": prompt,
            },
        )
        assert response.status_code == 302
        assert "error" not in query_of(response["Location"])


def test_jwks_publishes_only_public_members(client, root_org):
    keys = client.get("/oauth2/jwks").json()["keys"]
    assert keys
    assert all("d" not in key and key["kid"] and key["use"] == "sig" for key in keys)
    assert client.get("/t/acme/oauth2/jwks").status_code == 404  # no such tenant yet
