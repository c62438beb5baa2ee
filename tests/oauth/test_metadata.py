"""Discovery and RFC 8414 metadata: per tenant, path insertion, and every advertised endpoint and method works."""

from __future__ import annotations

import pytest

from apps.oauth.models import DeviceAuthorization
from tests.oauth.helpers import basic, form_post, pkce_pair, query_of
from tests.oauth.test_authorization_code import exchange, get_code
from tests.oauth.test_private_key_jwt import ASSERTION_TYPE, assertion, new_key, public_jwks

BASE = "http://127.0.0.1:8000"
TX = "urn:ietf:params:oauth:grant-type:token-exchange"
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"


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
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint", "device_authorization_endpoint"):
        assert form_post(client, local[name], {}).status_code in (400, 401)
    registered = client.post(local["registration_endpoint"], "{}", content_type="application/json")
    assert registered.status_code == 400
    assert registered.json()["error"] == "invalid_redirect_uri"


def test_every_advertised_method_works(client, root_org, web, m2m, browser, make_app, orders_api):
    """Grant types, client authentication methods, PKCE S256 and the id_token algorithm, end to end."""
    document = client.get("/.well-known/oauth-authorization-server").json()
    token_url = document["token_endpoint"].removeprefix(BASE)
    assert set(document["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
        TX,
        DEVICE,
        "organization_switch",  # exercised end to end in tests/sharing/test_org_tokens.py
    }
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    }
    assert "RS256" in document["token_endpoint_auth_signing_alg_values_supported"]
    assert "HS256" not in document["token_endpoint_auth_signing_alg_values_supported"]
    key = new_key("EC")
    signed = make_app(
        root_org,
        "m2m-application",
        "signed",
        apis={orders_api: ["orders:read"]},
        token_endpoint_auth_method="private_key_jwt",
        jwks=public_jwks(key),
    )

    def with_assertion(data: dict) -> dict:
        return {
            **data,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(key, signed.client_id, alg="ES256", aud=document["issuer"]),
        }

    assert form_post(client, token_url, with_assertion({"grant_type": "client_credentials"})).status_code == 200
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
    # token exchange, by a confidential client allowed to
    exchanger = make_app(root_org, name="exchanger", grant_types=[TX])
    exchanged = form_post(
        client,
        token_url,
        {"grant_type": TX, "subject_token": refreshed.json()["access_token"], "subject_token_type": ACCESS},
        HTTP_AUTHORIZATION=basic(exchanger.client_id, exchanger.secret),
    )
    assert exchanged.json()["issued_token_type"] == ACCESS
    # device authorization, approved on the verification page, then the device_code grant
    tv = make_app(root_org, "react-application", "tv", grant_types=[DEVICE])
    started = form_post(
        client,
        document["device_authorization_endpoint"].removeprefix(BASE),
        {"client_id": tv.client_id, "scope": "openid"},
    )
    started = started.json()
    assert (
        browser.post(
            started["verification_uri"].removeprefix(BASE), {"user_code": started["user_code"], "decision": "approve"}
        ).status_code
        == 200
    )
    DeviceAuthorization.objects.update(last_polled=None)
    polled = form_post(
        client, token_url, {"grant_type": DEVICE, "device_code": started["device_code"], "client_id": tv.client_id}
    )
    assert polled.status_code == 200
    introspect_url = document["introspection_endpoint"].removeprefix(BASE)
    for method in document["introspection_endpoint_auth_methods_supported"]:
        data = {"token": basic_body["access_token"]}
        if method == "client_secret_basic":
            response = form_post(client, introspect_url, data, HTTP_AUTHORIZATION=basic(m2m.client_id, m2m.secret))
        elif method == "private_key_jwt":
            response = form_post(client, introspect_url, with_assertion(data))
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
        elif method == "private_key_jwt":
            response = form_post(client, revoke_url, with_assertion({"token": exchanged.json()["access_token"]}))
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
        if prompt == "consent":  # asks the user even for a first-party application
            assert response.status_code == 200
            assert 'name="decision"' in response.content.decode()
            continue
        assert response.status_code == 302
        assert "error" not in query_of(response["Location"])


def test_jwks_publishes_only_public_members(client, root_org):
    keys = client.get("/oauth2/jwks").json()["keys"]
    assert keys
    assert all("d" not in key and key["kid"] and key["use"] == "sig" for key in keys)
    assert client.get("/t/acme/oauth2/jwks").status_code == 404  # no such tenant yet


def test_advertised_back_channel_logout_with_sid_works(
    client, root_org, web, alice, django_capture_on_commit_callbacks, eager_celery
):
    """backchannel_logout_supported / _session_supported: the ID token's sid is the logout token's sid."""
    from apps.authn.services.backchannel import app_login_settings_update
    from apps.keystores.selectors import keystore_jwks
    from tests.authn.conftest import sign_in_password
    from tests.authn.logout_receiver import logout_receiver, logout_token_claims
    from tests.conftest import USER_PASSWORD
    from tests.oauth.helpers import jwt_verified_claims

    document = client.get("/.well-known/openid-configuration").json()
    assert document["backchannel_logout_supported"] is True
    assert document["backchannel_logout_session_supported"] is True
    with logout_receiver() as receiver:
        app_login_settings_update(actor=None, application=web.application, backchannel_logout_uri=receiver.url("/bcl"))
        browser = type(client)()
        verifier, challenge = pkce_pair()
        params = {"client_id": web.client_id, "response_type": "code", "scope": "openid", "state": "s"}
        params.update(redirect_uri="https://rp.example.com/callback", code_challenge=challenge)
        params["code_challenge_method"] = "S256"
        portal = browser.get(document["authorization_endpoint"].removeprefix(BASE), params)
        done = sign_in_password(browser, portal["Location"], username="alice", password=USER_PASSWORD)
        code = query_of(browser.get(done["Location"])["Location"])["code"]
        tokens = exchange(client, web, code, verifier).json()
        id_token = jwt_verified_claims(tokens["id_token"], keystore_jwks(organization=root_org))
        with django_capture_on_commit_callbacks(execute=True):
            end = browser.get(
                document["end_session_endpoint"].removeprefix(BASE), {"id_token_hint": tokens["id_token"]}
            )
        assert end.status_code == 200
        (token,) = receiver.tokens_for("/bcl")
    assert logout_token_claims(token, root_org)["sid"] == id_token["sid"]
