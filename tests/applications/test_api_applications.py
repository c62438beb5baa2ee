"""``/api/server/v1/applications``: WSO2-shaped round trips, the client secret
shown once and stored only as a keyed hash, template locks, and bad input that
is refused with the error shape and writes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from jwcrypto import jwk
from rest_framework.test import APIClient

from apps.applications.models import Application
from apps.applications.secrets import client_secret_matches
from apps.core.models import AuditLog, OutboxEvent
from apps.orgs.models import Organization
from apps.users.models import User
from tests.api_helpers import assert_error, links_of
from tests.applications.conftest import API, REDIRECT, snapshot

SPA_BODY: dict[str, Any] = {
    "name": "Storefront",
    "description": "The shop",
    "imageUrl": "https://cdn.example.com/logo.png",
    "accessUrl": "https://shop.example.com",
    "templateId": "react-application",
    "advancedConfigurations": {"discoverableByEndUsers": True, "skipLoginConsent": False},
    "inboundProtocolConfiguration": {
        "oidc": {
            "grantTypes": ["authorization_code", "refresh_token"],
            "callbackURLs": ["https://shop.example.com/callback", "http://localhost:5173/callback"],
            "publicClient": True,
            "pkce": {"mandatory": True, "supportPlainTransformAlgorithm": False},
            "accessToken": {
                "type": "JWT",
                "bindingType": "DPoP",
                "validateTokenBinding": True,
                "applicationAccessTokenExpiryInSeconds": 900,
                "userAccessTokenExpiryInSeconds": 900,
            },
            "refreshToken": {"expiryInSeconds": 7200, "renewRefreshToken": True},
            "idToken": {"expiryInSeconds": 600},
        }
    },
}


def create(client: APIClient, body: dict[str, Any]) -> Any:
    return client.post(f"{API}/applications", body, format="json")


def oidc_body(**oidc: Any) -> dict[str, Any]:
    return {"inboundProtocolConfiguration": {"oidc": oidc}}


def test_create_get_round_trip(admin_api: APIClient, root_org: Organization) -> None:
    response = create(admin_api, SPA_BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"{API}/applications/{body['id']}"
    assert "inboundProtocolConfiguration" not in body  # a public client has no secret to show

    app = admin_api.get(response["Location"]).json()
    assert app["name"] == "Storefront"
    assert app["description"] == "The shop"
    assert app["imageUrl"] == "https://cdn.example.com/logo.png"
    assert app["accessUrl"] == "https://shop.example.com"
    assert app["templateId"] == "react-application"
    assert app["advancedConfigurations"] == {"discoverableByEndUsers": True, "skipLoginConsent": False}
    assert app["issuer"] == "http://127.0.0.1:8000/oauth2/token"
    assert app["clientId"] == Application.objects.get(uuid=body["id"]).client_id

    oidc = admin_api.get(f"{API}/applications/{body['id']}/inbound-protocols/oidc").json()
    sent = SPA_BODY["inboundProtocolConfiguration"]["oidc"]
    for key in ("grantTypes", "callbackURLs", "publicClient", "pkce", "accessToken", "refreshToken", "idToken"):
        assert oidc[key] == sent[key], key
    assert oidc["allowedOrigins"] == ["https://shop.example.com", "http://localhost:5173"]
    assert oidc["clientAuthentication"] == {"tokenEndpointAuthMethod": "none"}
    assert "clientSecret" not in oidc


def test_list_filter_and_pagination(admin_api: APIClient, root_org: Organization, make_app: Callable) -> None:
    for name in ("Alpha shop", "Beta shop", "Gamma"):
        make_app(root_org, name)
    everything = admin_api.get(f"{API}/applications").json()
    assert {"Alpha shop", "Beta shop", "Gamma"} <= {a["name"] for a in everything["applications"]}

    shops = admin_api.get(f"{API}/applications", {"filter": "name co shop"}).json()
    assert [a["name"] for a in shops["applications"]] == ["Alpha shop", "Beta shop"]
    assert shops["totalResults"] == 2
    either = admin_api.get(f"{API}/applications", {"filter": "name eq Gamma or name sw alpha"}).json()
    assert [a["name"] for a in either["applications"]] == ["Alpha shop", "Gamma"]

    page = admin_api.get(f"{API}/applications", {"filter": "name co shop", "limit": 1})
    assert [a["name"] for a in page.json()["applications"]] == ["Alpha shop"]
    assert "offset=1" in links_of(page)["next"]

    assert_error(admin_api.get(f"{API}/applications", {"filter": "colour eq red"}), 400, "APP-60022")
    assert_error(admin_api.get(f"{API}/applications", {"filter": "name"}), 400, "APP-60021")
    assert_error(admin_api.get(f"{API}/applications", {"limit": "many"}), 400)


def test_patch_round_trip(admin_api: APIClient, root_org: Organization, make_app: Callable) -> None:
    app, _ = make_app(root_org, "Portal")
    patch = {
        "name": "Partner portal",
        "description": "For partners",
        "imageUrl": "https://cdn.example.com/p.png",
        "accessUrl": "https://partners.example.com",
        "advancedConfigurations": {"discoverableByEndUsers": True},
    }
    response = admin_api.patch(f"{API}/applications/{app.uuid}", patch, format="json")
    assert response.status_code == 200, response.content
    got = admin_api.get(f"{API}/applications/{app.uuid}").json()
    for key, value in patch.items():
        if key == "advancedConfigurations":
            assert got[key]["discoverableByEndUsers"] is True
        else:
            assert got[key] == value


def test_put_oidc_round_trip(admin_api: APIClient, root_org: Organization, make_app: Callable) -> None:
    app, _ = make_app(root_org, "Web", template_id="nextjs-application")
    url = f"{API}/applications/{app.uuid}/inbound-protocols/oidc"
    current = admin_api.get(url).json()
    assert admin_api.put(url, current, format="json").status_code == 200  # GET → PUT unchanged works

    current["callbackURLs"] = ["https://web.example.com/a", "https://web.example.com/b"]
    current["grantTypes"] = ["authorization_code", "refresh_token", "client_credentials"]
    current["accessToken"].update(
        bindingType="DPoP", validateTokenBinding=True, type="Default", userAccessTokenExpiryInSeconds=120
    )
    current["accessToken"]["applicationAccessTokenExpiryInSeconds"] = 120
    current["refreshToken"] = {"expiryInSeconds": 3600, "renewRefreshToken": False}
    current["clientAuthentication"] = {"tokenEndpointAuthMethod": "client_secret_post"}
    response = admin_api.put(url, current, format="json")
    assert response.status_code == 200, response.content
    assert admin_api.get(url).json() == current
    app.refresh_from_db()
    assert (app.token_binding, app.access_token_format, app.access_token_lifetime) == ("DPoP", "Default", 120)
    assert app.redirect_uris == "https://web.example.com/a https://web.example.com/b"


def test_secret_is_shown_once_and_stored_only_as_a_hash(admin_api: APIClient, root_org: Organization) -> None:
    response = create(admin_api, {"name": "Backend", "templateId": "m2m-application"})
    assert response.status_code == 201
    oidc = response.json()["inboundProtocolConfiguration"]["oidc"]
    secret = oidc["clientSecret"]
    assert len(secret) >= 43  # 256 bits, base64url
    app = Application.objects.get(uuid=response.json()["id"])
    assert client_secret_matches(app.client_secret_hash, secret)
    assert app.client_secret == ""

    # Never again through the API ...
    assert "clientSecret" not in admin_api.get(f"{API}/applications/{app.uuid}/inbound-protocols/oidc").json()
    assert secret not in admin_api.get(f"{API}/applications/{app.uuid}").content.decode()
    assert secret not in admin_api.get(f"{API}/applications").content.decode()
    # ... and nowhere in the database (audit rows, outbox payloads, sessions included).
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert secret not in dump.getvalue()


def test_regenerate_secret_invalidates_the_old_one(admin_api: APIClient, root_org: Organization, make_app) -> None:
    app, old = make_app(root_org, "Backend", template_id="m2m-application")
    response = admin_api.post(f"{API}/applications/{app.uuid}/inbound-protocols/oidc/regenerate-secret")
    assert response.status_code == 200, response.content
    new = response.json()["clientSecret"]
    assert new != old
    app.refresh_from_db()
    assert client_secret_matches(app.client_secret_hash, new)
    assert not client_secret_matches(app.client_secret_hash, old)
    assert "clientSecret" not in admin_api.get(f"{API}/applications/{app.uuid}/inbound-protocols/oidc").json()
    assert AuditLog.objects.filter(action="application.secret_regenerate", target_id=str(app.uuid)).exists()
    assert new not in str(list(OutboxEvent.objects.values_list("payload", flat=True)))

    spa, _ = make_app(root_org, "SPA", template_id="react-application")
    before = snapshot()
    response = admin_api.post(f"{API}/applications/{spa.uuid}/inbound-protocols/oidc/regenerate-secret")
    assert_error(response, 400, "APP-60008")
    assert snapshot() == before


def test_mcp_template_locks_pkce_and_public_client(admin_api: APIClient, root_org: Organization) -> None:
    body = {"name": "Agent host", "templateId": "mcp-client-application", **oidc_body(callbackURLs=[REDIRECT])}
    response = create(admin_api, body)
    assert response.status_code == 201, response.content
    app_id = response.json()["id"]
    url = f"{API}/applications/{app_id}/inbound-protocols/oidc"
    oidc = admin_api.get(url).json()
    assert oidc["publicClient"] is True
    assert oidc["pkce"] == {"mandatory": True, "supportPlainTransformAlgorithm": False}
    assert oidc["accessToken"]["type"] == "JWT"
    assert oidc["refreshToken"]["renewRefreshToken"] is True
    assert (
        "inboundProtocolConfiguration.oidc.pkce.mandatory"
        in admin_api.get(f"{API}/applications/{app_id}").json()["lockedSettings"]
    )

    before = snapshot()
    assert_error(admin_api.put(url, {"pkce": {"mandatory": False}}, format="json"), 400, "APP-60006")
    assert_error(admin_api.put(url, {"publicClient": False}, format="json"), 400, "APP-60007")
    assert_error(admin_api.put(url, {"pkce": {"supportPlainTransformAlgorithm": True}}, format="json"), 400)
    assert snapshot() == before
    # The same values are accepted (a GET → PUT round trip of a locked app works).
    assert admin_api.put(url, {"pkce": {"mandatory": True}, "publicClient": True}, format="json").status_code == 200

    refused = create(
        admin_api, {**body, "name": "Other", **oidc_body(callbackURLs=[REDIRECT], pkce={"mandatory": False})}
    )
    assert_error(refused, 400, "APP-60006")


def test_mcp_wizard_may_make_a_confidential_client(admin_api: APIClient, root_org: Organization) -> None:
    body = {"name": "M2M agent", "templateId": "mcp-client-application"}
    body.update(oidc_body(callbackURLs=[REDIRECT], publicClient=False, grantTypes=["client_credentials"]))
    response = create(admin_api, body)
    assert response.status_code == 201, response.content
    oidc = response.json()["inboundProtocolConfiguration"]["oidc"]
    assert oidc["publicClient"] is False
    assert oidc["clientSecret"]
    assert oidc["clientAuthentication"]["tokenEndpointAuthMethod"] == "client_secret_basic"


def test_m2m_template_locks_client_type_and_grants(admin_api: APIClient, root_org: Organization, make_app) -> None:
    app, _ = make_app(root_org, "Daemon", template_id="m2m-application")
    url = f"{API}/applications/{app.uuid}/inbound-protocols/oidc"
    response = admin_api.put(url, {"grantTypes": ["client_credentials", "authorization_code"]}, format="json")
    assert_error(response, 400, "APP-60006")
    assert_error(create(admin_api, {"name": "X", "templateId": "m2m-application", **oidc_body(publicClient=True)}), 400)


def test_unlocked_settings_follow_their_rules(admin_api: APIClient, root_org: Organization, make_app) -> None:
    web, _ = make_app(root_org, "Web", template_id="nextjs-application")
    spa, _ = make_app(root_org, "SPA", template_id="react-application")
    web_url = f"{API}/applications/{web.uuid}/inbound-protocols/oidc"
    spa_url = f"{API}/applications/{spa.uuid}/inbound-protocols/oidc"
    assert admin_api.put(web_url, {"pkce": {"mandatory": False}}, format="json").status_code == 200
    assert_error(admin_api.put(spa_url, {"pkce": {"mandatory": False}}, format="json"), 400, "APP-60001")
    assert_error(admin_api.put(spa_url, {"grantTypes": ["client_credentials"]}, format="json"), 400, "APP-60005")
    assert_error(
        admin_api.put(
            spa_url, {"clientAuthentication": {"tokenEndpointAuthMethod": "client_secret_basic"}}, format="json"
        ),
        400,
        "APP-60001",
    )
    assert_error(
        admin_api.put(web_url, {"clientAuthentication": {"tokenEndpointAuthMethod": "none"}}, format="json"), 400
    )
    # Custom schemes are for the mobile template only.
    assert_error(admin_api.put(web_url, {"callbackURLs": ["com.example.app:/cb"]}, format="json"), 400, "APP-60004")
    mobile, _ = make_app(root_org, "Phone", template_id="mobile-application", redirect_uris=["com.example.app:/cb"])
    assert mobile.redirect_uris == "com.example.app:/cb"
    # private_key_jwt needs public keys.
    auth_url = web_url
    assert_error(
        admin_api.put(
            auth_url, {"clientAuthentication": {"tokenEndpointAuthMethod": "private_key_jwt"}}, format="json"
        ),
        400,
        "APP-60011",
    )
    private = jwk.JWK.generate(kty="EC", crv="P-256")
    bad = {"tokenEndpointAuthMethod": "private_key_jwt", "jwks": {"keys": [private.export(as_dict=True)]}}
    assert_error(admin_api.put(auth_url, {"clientAuthentication": bad}, format="json"), 400, "APP-60011")
    good = {"tokenEndpointAuthMethod": "private_key_jwt", "jwks": {"keys": [private.export_public(as_dict=True)]}}
    response = admin_api.put(auth_url, {"clientAuthentication": good}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["clientAuthentication"]["jwks"]["keys"][0]["kty"] == "EC"


def test_duplicate_names_conflict(admin_api: APIClient, root_org: Organization, make_app) -> None:
    make_app(root_org, "Shop")
    other, _ = make_app(root_org, "Other")
    before = snapshot()
    assert_error(create(admin_api, {"name": "shop", "templateId": "m2m-application"}), 409, "APP-60009")
    assert_error(admin_api.patch(f"{API}/applications/{other.uuid}", {"name": "SHOP"}, format="json"), 409, "APP-60009")
    assert snapshot() == before


BAD_CREATE_BODIES = [
    pytest.param({"templateId": "m2m-application"}, 400, id="no-name"),
    pytest.param({"name": "", "templateId": "m2m-application"}, 400, id="blank-name"),
    pytest.param({"name": "x" * 256, "templateId": "m2m-application"}, 400, id="long-name"),
    pytest.param({"name": 5, "templateId": "m2m-application"}, 400, id="name-int"),
    pytest.param({"name": "A\x00B", "templateId": "m2m-application"}, 400, id="name-nul"),
    pytest.param({"name": "A", "templateId": "nope"}, 400, id="unknown-template"),
    pytest.param({"name": "A", "colour": "red"}, 400, id="unknown-field"),
    pytest.param({"name": "A", "claimConfiguration": {}}, 400, id="unsupported-wso2-field"),
    pytest.param({"name": "A", "advancedConfigurations": {"discoverableByEndUsers": "yes"}}, 400, id="bool-string"),
    pytest.param({"name": "A", "advancedConfigurations": {"x": 1}}, 400, id="unknown-nested"),
    pytest.param({"name": "A", "advancedConfigurations": []}, 400, id="nested-not-object"),
    pytest.param({"name": "A", "imageUrl": "javascript:alert(1)"}, 400, id="logo-js"),
    pytest.param({"name": "A", "accessUrl": "http://example.com"}, 400, id="access-http"),
    pytest.param({"name": "A", "advancedConfigurations": {"discoverableByEndUsers": True}}, 400, id="discoverable"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["javascript:alert(1)"])}, 400, id="redirect-js"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["data:text/html,hi"])}, 400, id="redirect-data"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["https://a.example.com/cb#frag"])}, 400, id="fragment"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["https://a.example.com/cb#"])}, 400, id="empty-fragment"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["/callback"])}, 400, id="relative"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["//evil.example.com/cb"])}, 400, id="scheme-relative"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["http://app.example.com/cb"])}, 400, id="http-remote"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["https://u:p@app.example.com/cb"])}, 400, id="userinfo"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["https://a.example.com/a b"])}, 400, id="space"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["https://a.example.com:99999/"])}, 400, id="bad-port"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=["https://"])}, 400, id="no-host"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[""])}, 400, id="empty-uri"),
    pytest.param({"name": "A", **oidc_body(callbackURLs="https://a.example.com")}, 400, id="uris-not-list"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[1])}, 400, id="uri-int"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[])}, 400, id="code-without-redirect"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[REDIRECT], grantTypes=["implicit"])}, 400, id="grant"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[REDIRECT], grantTypes=[])}, 400, id="no-grants"),
    pytest.param(
        {"name": "A", **oidc_body(callbackURLs=[REDIRECT], grantTypes="authorization_code")}, 400, id="gt-str"
    ),
    pytest.param(
        {"name": "A", **oidc_body(grantTypes=["refresh_token", "client_credentials"])}, 400, id="refresh-only"
    ),
    pytest.param(
        {
            "name": "A",
            "templateId": "react-application",
            **oidc_body(callbackURLs=[REDIRECT], grantTypes=["client_credentials"]),
        },
        400,
        id="public-client-credentials",
    ),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[REDIRECT], publicClient="true")}, 400, id="public-str"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[REDIRECT], clientId="mine")}, 400, id="client-id"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[REDIRECT], clientSecret="mine")}, 400, id="client-secret"),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[REDIRECT], accessToken={"type": "jwt"})}, 400, id="format"),
    pytest.param(
        {"name": "A", **oidc_body(callbackURLs=[REDIRECT], accessToken={"bindingType": "mtls"})}, 400, id="bind"
    ),
    pytest.param(
        {
            "name": "A",
            **oidc_body(callbackURLs=[REDIRECT], accessToken={"bindingType": "DPoP", "validateTokenBinding": False}),
        },
        400,
        id="dpop-unvalidated",
    ),
    pytest.param(
        {"name": "A", **oidc_body(callbackURLs=[REDIRECT], accessToken={"userAccessTokenExpiryInSeconds": "3600"})},
        400,
        id="lifetime-string",
    ),
    pytest.param(
        {"name": "A", **oidc_body(callbackURLs=[REDIRECT], accessToken={"userAccessTokenExpiryInSeconds": 36.5})},
        400,
        id="lifetime-float",
    ),
    pytest.param(
        {"name": "A", **oidc_body(callbackURLs=[REDIRECT], accessToken={"userAccessTokenExpiryInSeconds": True})},
        400,
        id="lifetime-bool",
    ),
    pytest.param(
        {"name": "A", **oidc_body(callbackURLs=[REDIRECT], accessToken={"userAccessTokenExpiryInSeconds": 5})},
        400,
        id="lifetime-short",
    ),
    pytest.param(
        {"name": "A", **oidc_body(callbackURLs=[REDIRECT], refreshToken={"expiryInSeconds": 10**12})},
        400,
        id="lifetime-huge",
    ),
    pytest.param(
        {
            "name": "A",
            **oidc_body(
                callbackURLs=[REDIRECT],
                accessToken={"userAccessTokenExpiryInSeconds": 60, "applicationAccessTokenExpiryInSeconds": 120},
            ),
        },
        400,
        id="two-lifetimes",
    ),
    pytest.param(
        {"name": "A", **oidc_body(callbackURLs=[REDIRECT], allowedOrigins=["https://a.example.com/path"])},
        400,
        id="origin",
    ),
    pytest.param({"name": "A", **oidc_body(callbackURLs=[REDIRECT] * 51)}, 400, id="too-many-uris"),
]


@pytest.mark.parametrize(("body", "status"), BAD_CREATE_BODIES)
def test_bad_create_bodies_write_nothing(admin_api: APIClient, root_org: Organization, body: Any, status: int) -> None:
    before = snapshot()
    assert_error(create(admin_api, body), status)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("{not json", "application/json"),
        ("[]", "application/json"),
        ('"name"', "application/json"),
        ("null", "application/json"),
        ("name=A", "text/plain"),
    ],
)
def test_malformed_bodies(admin_api: APIClient, root_org: Organization, make_app, raw: str, content_type: str) -> None:
    app, _ = make_app(root_org, "Web")
    before = snapshot()
    for method, url in (
        ("post", f"{API}/applications"),
        ("patch", f"{API}/applications/{app.uuid}"),
        ("put", f"{API}/applications/{app.uuid}/inbound-protocols/oidc"),
        ("post", f"{API}/applications/{app.uuid}/authorized-apis"),
        ("patch", f"{API}/applications/{app.uuid}/authorized-apis/{app.uuid}"),
    ):
        response = getattr(admin_api, method)(url, raw, content_type=content_type)
        assert_error(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"callbackURLs": ["javascript:alert(1)"]},
        {"callbackURLs": ["https://a.example.com/#x"]},
        {"callbackURLs": ["callback"]},
        {"callbackURLs": []},
        {"grantTypes": ["refresh_token"]},
        {"publicClient": True},
        {"clientId": "other"},
        {"idToken": {"expiryInSeconds": 0}},
        {"idToken": {"expiryInSeconds": "60"}},
        {"idToken": {"audience": ["x"]}},
        {"refreshToken": {"renewRefreshToken": 1}},
        {"postLogoutRedirectURLs": ["http://evil.example.com/"]},
        {"clientAuthentication": {"jwks": {"keys": "no"}}},
        {"grantTypes": ["authorization_code", "authorization_code", "nope"]},
    ],
)
def test_bad_oidc_updates_write_nothing(admin_api: APIClient, root_org: Organization, make_app, body: dict) -> None:
    app, _ = make_app(root_org, "Web")
    before = snapshot()
    assert_error(admin_api.put(f"{API}/applications/{app.uuid}/inbound-protocols/oidc", body, format="json"), 400)
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": None},
        {"imageUrl": "ftp://example.com/logo.png"},
        {"templateId": "m2m-application"},
        {"clientId": "x"},
        {"advancedConfigurations": {"discoverableByEndUsers": True}},
        {"description": ["x"]},
    ],
)
def test_bad_patches_write_nothing(admin_api: APIClient, root_org: Organization, make_app, body: dict) -> None:
    app, _ = make_app(root_org, "Web")
    before = snapshot()
    assert_error(admin_api.patch(f"{API}/applications/{app.uuid}", body, format="json"), 400)
    assert snapshot() == before


def test_unknown_ids_are_not_found(admin_api: APIClient, root_org: Organization) -> None:
    for app_id in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", "1"):
        for method, suffix in (
            ("get", ""),
            ("patch", ""),
            ("delete", ""),
            ("get", "/inbound-protocols/oidc"),
            ("put", "/inbound-protocols/oidc"),
            ("post", "/inbound-protocols/oidc/regenerate-secret"),
            ("get", "/authorized-apis"),
            ("post", "/authorized-apis"),
            ("delete", "/authorized-apis/00000000-0000-0000-0000-000000000000"),
        ):
            response = getattr(admin_api, method)(f"{API}/applications/{app_id}{suffix}", {}, format="json")
            assert_error(response, 404, "APP-60015")


def test_delete(admin_api: APIClient, root_org: Organization, make_app) -> None:
    app, _ = make_app(root_org, "Old")
    assert admin_api.delete(f"{API}/applications/{app.uuid}").status_code == 204
    assert not Application.objects.filter(pk=app.pk).exists()
    assert_error(admin_api.get(f"{API}/applications/{app.uuid}"), 404)
    row = AuditLog.objects.get(action="application.delete")
    assert row.target_id == str(app.uuid)
    assert OutboxEvent.objects.filter(event_type="application.deleted").exists()


def test_create_is_audited_without_the_secret(admin_api: APIClient, root_org: Organization, admin_user: User) -> None:
    response = create(admin_api, {"name": "Audited", "templateId": "m2m-application"})
    secret = response.json()["inboundProtocolConfiguration"]["oidc"]["clientSecret"]
    row = AuditLog.objects.get(action="application.create")
    assert (row.actor_id, row.target_id, row.request_id) == (
        str(admin_user.id),
        response.json()["id"],
        response["X-Request-ID"],
    )
    event = OutboxEvent.objects.get(event_type="application.created")
    assert event.payload["clientId"] == response.json()["clientId"]
    assert secret not in str(event.payload)
    assert secret not in str(row.data)


@pytest.mark.parametrize(
    ("method", "suffix", "scope"),
    [
        ("get", "", "internal_application_mgt_view"),
        ("post", "", "internal_application_mgt_create"),
        ("get", "/{id}", "internal_application_mgt_view"),
        ("patch", "/{id}", "internal_application_mgt_update"),
        ("delete", "/{id}", "internal_application_mgt_delete"),
        ("get", "/{id}/inbound-protocols/oidc", "internal_application_mgt_view"),
        ("put", "/{id}/inbound-protocols/oidc", "internal_application_mgt_update"),
        ("post", "/{id}/inbound-protocols/oidc/regenerate-secret", "internal_application_mgt_update"),
        ("get", "/{id}/authorized-apis", "internal_application_mgt_view"),
        ("post", "/{id}/authorized-apis", "internal_application_mgt_update"),
        ("get", "/templates", "internal_application_mgt_view"),
    ],
)
def test_each_method_needs_its_scope(
    root_org: Organization, admin_user: User, mint_token: Callable, make_app, method: str, suffix: str, scope: str
) -> None:
    app, _ = make_app(root_org, "Guarded", template_id="m2m-application")
    url = f"{API}/applications{suffix.replace('{id}', str(app.uuid))}"
    others = [
        s
        for s in (
            "internal_application_mgt_view",
            "internal_application_mgt_create",
            "internal_application_mgt_update",
            "internal_application_mgt_delete",
        )
        if s != scope
    ]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint_token(admin_user, scopes=others)}")
    before = snapshot()
    assert_error(getattr(client, method)(url, {}, format="json"), 403)
    assert snapshot() == before
    assert_error(getattr(APIClient(), method)(url, {}, format="json"), 401)


def test_an_application_from_before_the_settings_can_be_renamed(admin_api: APIClient, root_org: Organization) -> None:
    # The shape django-oauth-toolkit alone gives (the token-minting fixture makes one like it).
    legacy = Application.objects.create(
        organization=root_org,
        name="Legacy",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    response = admin_api.patch(f"{API}/applications/{legacy.uuid}", {"name": "Legacy app"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["templateId"] == ""
    url = f"{API}/applications/{legacy.uuid}/inbound-protocols/oidc"
    assert_error(admin_api.put(url, {"accessToken": {"type": "Default"}}, format="json"), 400, "APP-60005")
    response = admin_api.put(url, {"grantTypes": ["client_credentials"]}, format="json")
    assert response.status_code == 200, response.content
