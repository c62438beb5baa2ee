"""private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core §9): assertions built independently with
jwcrypto; every claim rule, the algorithm allow-list, single-use jti, key rotation and tenant isolation."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from jwcrypto import jwk, jwt

from apps.applications.services import application_update
from apps.oauth.models import UsedJti
from tests.oauth.helpers import basic, form_post

TOKEN = "/oauth2/token"
ISSUER = "http://127.0.0.1:8000/oauth2/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_key(kty: str = "RSA", kid: str = "k1") -> jwk.JWK:
    if kty == "RSA":
        return jwk.JWK.generate(kty="RSA", size=2048, kid=kid)
    if kty == "EC":
        return jwk.JWK.generate(kty="EC", crv="P-256", kid=kid)
    return jwk.JWK.generate(kty="OKP", crv="Ed25519", kid=kid)


def public_jwks(*keys: jwk.JWK) -> dict[str, Any]:
    return {"keys": [key.export_public(as_dict=True) for key in keys]}


def assertion(key: jwk.JWK, client_id: str, *, alg: str = "RS256", header: dict | None = None, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "aud": ISSUER, "exp": now + 60, "iat": now, "jti": str(uuid.uuid4())}
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    token = jwt.JWT(header={"alg": alg, "kid": key.get("kid"), **(header or {})}, claims=json.dumps(body))
    token.make_signed_token(key)
    return token.serialize()


def authenticate(client, signed: str, *, url: str = TOKEN, client_id: str | None = None, **more: Any):
    data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": signed}
    if client_id:
        data["client_id"] = client_id
    data.update(more)
    return form_post(client, url, data)


@pytest.fixture
def rsa_key() -> jwk.JWK:
    return new_key("RSA")


@pytest.fixture
def service(root_org, orders_api, make_app, rsa_key):
    return make_app(
        root_org,
        "m2m-application",
        "signed-service",
        apis={orders_api: ["orders:read"]},
        token_endpoint_auth_method="private_key_jwt",
        jwks=public_jwks(rsa_key),
    )


def test_a_signed_assertion_authenticates_the_client(client, service, rsa_key):
    response = authenticate(client, assertion(rsa_key, service.client_id), scope="orders:read")
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "orders:read"
    # With client_id in the form too, and with aud as a list holding the token endpoint.
    signed = assertion(rsa_key, service.client_id, aud=["https://elsewhere.example", ISSUER])
    assert authenticate(client, signed, client_id=service.client_id).status_code == 200
    assert UsedJti.objects.filter(purpose="client_assertion").count() == 2


@pytest.mark.parametrize(("kty", "alg"), [("RSA", "PS256"), ("EC", "ES256"), ("OKP", "EdDSA")])
def test_other_asymmetric_algorithms(client, root_org, make_app, kty, alg):
    key = new_key(kty)
    app = make_app(
        root_org, "m2m-application", f"svc-{kty}", token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key)
    )
    assert authenticate(client, assertion(key, app.client_id, alg=alg)).status_code == 200


def test_an_assertion_is_single_use(client, service, rsa_key):
    signed = assertion(rsa_key, service.client_id)
    assert authenticate(client, signed).status_code == 200
    replay = authenticate(client, signed)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"
    assert replay["WWW-Authenticate"]


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://other.example/token"},
        {"aud": None},
        {"iss": "someone-else"},
        {"sub": "someone-else"},
        {"exp": int(time.time()) - 120},
        {"exp": None},
        {"exp": "tomorrow"},
        {"exp": int(time.time()) + 7200},
        {"nbf": int(time.time()) + 600},
        {"iat": int(time.time()) + 600},
        {"jti": None},
        {"jti": ""},
    ],
)
def test_claim_rules(client, service, rsa_key, claims):
    response = authenticate(client, assertion(rsa_key, service.client_id, **claims))
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"


def test_only_registered_asymmetric_keys_and_allowed_algorithms(client, service, rsa_key):
    stranger = new_key("RSA")
    assert authenticate(client, assertion(stranger, service.client_id)).status_code == 401
    assert authenticate(client, assertion(stranger, service.client_id, header={"kid": None})).status_code == 401
    secret = jwk.JWK.generate(kty="oct", size=256, kid="k1")
    assert authenticate(client, assertion(secret, service.client_id, alg="HS256")).status_code == 401
    # alg "none": an unsigned token (jwcrypto will not make one, so build it by hand).
    signed = assertion(rsa_key, service.client_id)
    header, payload, _ = signed.split(".")
    import base64

    none_header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"k1"}').rstrip(b"=").decode()
    assert authenticate(client, f"{none_header}.{payload}.").status_code == 401
    tampered = f"{header}.{payload[:-2]}AA.{signed.split('.')[2]}"
    assert authenticate(client, tampered).status_code == 401


def test_malformed_requests(client, service, rsa_key):
    signed = assertion(rsa_key, service.client_id)
    wrong_type = authenticate(client, signed, client_assertion_type="urn:example:other")
    assert wrong_type.status_code == 401
    missing = form_post(
        client, TOKEN, {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_id": "x"}
    )
    assert missing.json()["error"] == "invalid_request"
    assert authenticate(client, "not-a-jwt").json()["error"] == "invalid_client"  # names no client
    assert authenticate(client, "not-a-jwt", client_id=service.client_id).json()["error"] == "invalid_request"
    two_methods = authenticate(client, signed, client_secret="s3cret")
    assert two_methods.json()["error"] == "invalid_request"
    with_basic = form_post(
        client,
        TOKEN,
        {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": signed},
        HTTP_AUTHORIZATION=basic(service.client_id, "s3cret"),
    )
    assert with_basic.json()["error"] == "invalid_request"
    assert authenticate(client, signed, client_id="another-client").status_code == 401


def test_the_registered_method_is_the_only_one(client, service, m2m, rsa_key):
    # A secret-based client cannot switch to assertions, nor an assertion-based one to a secret.
    assert authenticate(client, assertion(rsa_key, m2m.client_id)).status_code == 401
    response = form_post(
        client, TOKEN, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(service.client_id, "anything")
    )
    assert response.status_code == 401


def test_rotated_keys_take_effect(client, service, rsa_key):
    assert authenticate(client, assertion(rsa_key, service.client_id)).status_code == 200
    rotated = new_key("EC", kid="k2")
    application_update(actor=None, application=service.application, jwks=public_jwks(rotated))
    assert authenticate(client, assertion(rotated, service.client_id, alg="ES256")).status_code == 200
    assert authenticate(client, assertion(rsa_key, service.client_id)).status_code == 401


def test_introspection_and_revocation_accept_assertions(client, service, rsa_key):
    token = authenticate(client, assertion(rsa_key, service.client_id)).json()["access_token"]
    introspect_url = "http://127.0.0.1:8000/oauth2/introspect"
    info = authenticate(
        client, assertion(rsa_key, service.client_id, aud=introspect_url), url="/oauth2/introspect", token=token
    )
    assert info.json()["active"] is True
    revoked = authenticate(client, assertion(rsa_key, service.client_id), url="/oauth2/revoke", token=token)
    assert revoked.status_code == 200
    info = authenticate(client, assertion(rsa_key, service.client_id), url="/oauth2/introspect", token=token)
    assert info.json() == {"active": False}


def test_a_client_of_tenant_a_is_unknown_at_tenant_b(client, service, rsa_key, other_tenant):
    signed = assertion(rsa_key, service.client_id, aud="http://127.0.0.1:8000/t/acme/oauth2/token")
    response = authenticate(client, signed, url="/t/acme/oauth2/token")
    assert response.status_code == 401
    # ... and an assertion made for tenant B is refused at tenant A.
    assert authenticate(client, signed).status_code == 401
