"""DPoP (RFC 9449) at the token endpoint: proof validation, binding for every grant, refresh-token
binding for public clients, the application's DPoP requirement, dpop_jkt, nonces and query cost.

Proofs are built here with jwcrypto and thumbprints computed by hand (RFC 7638), independently of
the server's code. ``DPoPKey`` is shared with the resource-side and interop tests."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from jwcrypto import jwk, jws

from apps.applications.models import Application
from apps.oauth.models import DPoPProof
from apps.oauth.store import expired_clear
from tests.oauth.conftest import REDIRECT
from tests.oauth.helpers import basic, form_post, jwt_parts, jwt_verified_claims, pkce_pair
from tests.oauth.test_authorization_code import get_code
from tests.oauth.test_introspection_revocation import introspect

TOKEN = "/oauth2/token"
KEY_TYPES = {
    "ES256": {"kty": "EC", "crv": "P-256"},
    "RS256": {"kty": "RSA", "size": 2048},
    "PS256": {"kty": "RSA", "size": 2048},
    "EdDSA": {"kty": "OKP", "crv": "Ed25519"},
}
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64url(json.dumps(value).encode())


def raw_proof(header: dict[str, Any], payload: dict[str, Any], key: jwk.JWK, sign_alg: str) -> str:
    """A compact JWS signed with ``cryptography`` directly, for headers jwcrypto refuses to sign."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    signing_input = f"{b64json(header)}.{b64json(payload)}".encode()
    private = key.get_op_key("sign")
    if sign_alg == "ES256":
        r, s = decode_dss_signature(private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{b64url(signature)}"


def claims_for(method: str, path: str) -> dict[str, Any]:
    return {
        "jti": secrets.token_urlsafe(12),
        "htm": method,
        "htu": f"{settings.IAM_BASE_URL}{path}",
        "iat": int(time.time()),
    }


class DPoPKey:
    """A client's DPoP key pair and the proofs it signs."""

    def __init__(self, alg: str = "ES256") -> None:
        self.alg = alg
        self.key = jwk.JWK.generate(**KEY_TYPES[alg])
        self.public = json.loads(self.key.export_public())

    @property
    def jkt(self) -> str:
        """RFC 7638, by hand: the required members, sorted, no whitespace, SHA-256, base64url."""
        members = {name: self.public[name] for name in THUMBPRINT_MEMBERS[self.public["kty"]]}
        canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
        return b64url(hashlib.sha256(canonical.encode()).digest())

    def proof(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        header: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        signing_key: jwk.JWK | None = None,
        **claims: Any,
    ) -> str:
        """A proof for ``method`` ``url`` (a path is made absolute with IAM_BASE_URL).

        ``header`` overrides/extends the JOSE header, ``drop`` removes header members or claims,
        ``claims`` override the payload."""
        htu = url if "://" in url else f"{settings.IAM_BASE_URL}{url}"
        payload: dict[str, Any] = {"jti": secrets.token_urlsafe(12), "htm": method, "htu": htu, "iat": int(time.time())}
        if access_token is not None:
            payload["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
        payload.update(claims)
        protected = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.public, **(header or {})}
        for name in drop:
            protected.pop(name, None)
            payload.pop(name, None)
        token = jws.JWS(json.dumps(payload))
        token.add_signature(
            signing_key or self.key, alg=protected.get("alg", self.alg), protected=json.dumps(protected)
        )
        return token.serialize(compact=True)


def cc(client, app, proof: str | None = None, *, url: str = TOKEN, **data: Any):
    extra = {"HTTP_DPOP": proof} if proof is not None else {}
    body = {"grant_type": "client_credentials", **data}
    return form_post(client, url, body, HTTP_AUTHORIZATION=basic(app.client_id, app.secret), **extra)


def assert_invalid_proof(response: Any, fragment: str = "") -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_dpop_proof", body
    assert fragment.lower() in body.get("error_description", "").lower(), body


# --- a valid proof binds the token -----------------------------------------------------------


@pytest.mark.parametrize("alg", list(KEY_TYPES))
def test_client_credentials_with_a_proof_issues_a_dpop_bound_jwt(client, m2m, root_org, alg):
    from apps.keystores.selectors import keystore_jwks

    key = DPoPKey(alg)
    assert key.jkt == key.key.thumbprint()  # the hand-made thumbprint agrees with jwcrypto's
    response = cc(client, m2m, key.proof("POST", TOKEN), scope="orders:read")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    claims = jwt_verified_claims(body["access_token"], keystore_jwks(organization=root_org, protocol="oauth"))
    assert claims["cnf"] == {"jkt": key.jkt}
    info = introspect(client, m2m, body["access_token"]).json()
    assert info["active"] is True
    assert info["token_type"] == "DPoP"
    assert info["cnf"] == {"jkt": key.jkt}


def test_without_a_proof_tokens_stay_bearer(client, m2m):
    body = cc(client, m2m).json()
    assert body["token_type"] == "Bearer"
    assert "cnf" not in jwt_parts(body["access_token"])[1]
    info = introspect(client, m2m, body["access_token"]).json()
    assert info["token_type"] == "Bearer"
    assert "cnf" not in info


def test_opaque_tokens_are_bound_too(client, root_org, make_app, orders_api):
    app = make_app(root_org, "m2m-application", "opaque", access_token_format="Default", apis={orders_api: []})
    key = DPoPKey()
    body = cc(client, app, key.proof("POST", TOKEN)).json()
    assert body["token_type"] == "DPoP"
    assert body["access_token"].count(".") == 0
    assert introspect(client, app, body["access_token"]).json()["cnf"] == {"jkt": key.jkt}


def test_htu_is_compared_after_normalisation_and_without_query(client, m2m):
    base = settings.IAM_BASE_URL
    scheme, rest = base.split("://", 1)
    shouted = f"{scheme.upper()}://{rest.upper()}/oauth2/%74oken?x=1#frag"  # %74 is "t", an unreserved char
    assert cc(client, m2m, DPoPKey().proof("POST", shouted)).status_code == 200
    dotted = f"{base}/oauth2/userinfo/../token"
    assert cc(client, m2m, DPoPKey().proof("POST", dotted)).status_code == 200


def test_a_tenant_token_endpoint_wants_its_own_url(client, other_tenant, make_app, acme_api):
    app = make_app(other_tenant, "m2m-application", "acme-m2m", apis={acme_api: ["acme:read"]})
    key = DPoPKey()
    url = "/t/acme/oauth2/token"
    assert_invalid_proof(cc(client, app, key.proof("POST", TOKEN), url=url), "htu")
    assert cc(client, app, key.proof("POST", url), url=url).json()["token_type"] == "DPoP"


# --- every way a proof is refused --------------------------------------------------------------


def test_a_replayed_proof_is_refused(client, m2m):
    proof = DPoPKey().proof("POST", TOKEN)
    assert cc(client, m2m, proof).status_code == 200
    assert_invalid_proof(cc(client, m2m, proof), "already used")
    assert DPoPProof.objects.count() == 1


def test_the_same_jti_from_two_keys_is_two_proofs(client, m2m):
    assert cc(client, m2m, DPoPKey().proof("POST", TOKEN, jti="same")).status_code == 200
    assert cc(client, m2m, DPoPKey().proof("POST", TOKEN, jti="same")).status_code == 200


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"htm": "GET"}, "htm"),
        ({"htm": "post"}, "htm"),
        ({"htu": "/oauth2/userinfo"}, "htu"),
        ({"htu": "https://elsewhere.example.com/oauth2/token"}, "htu"),
        ({"iat": -900}, "expired"),  # seconds from now, computed when the test runs; far outside the window
        ({"iat": +900}, "future"),
        ({"iat": "now"}, "iat"),
        ({"iat": float("nan")}, "iat"),
        ({"iat": True}, "iat"),
        ({"jti": ""}, "jti"),
        ({"jti": "x" * 300}, "jti"),
    ],
)
def test_claims_that_do_not_fit_the_request_are_refused(client, m2m, change, fragment):
    if "htu" in change and change["htu"].startswith("/"):
        change = {"htu": f"{settings.IAM_BASE_URL}{change['htu']}"}
    if type(change.get("iat")) is int:
        change = {"iat": int(time.time()) + change["iat"]}
    assert_invalid_proof(cc(client, m2m, DPoPKey().proof("POST", TOKEN, **change)), fragment)


def test_iat_within_the_window_is_accepted_and_the_window_is_configurable(client, m2m, settings):
    assert cc(client, m2m, DPoPKey().proof("POST", TOKEN, iat=int(time.time()) - 45)).status_code == 200
    settings.IAM_DPOP_PROOF_WINDOW_SECONDS = 10
    assert_invalid_proof(cc(client, m2m, DPoPKey().proof("POST", TOKEN, iat=int(time.time()) - 45)), "expired")


@pytest.mark.parametrize("missing", ["jti", "htm", "htu", "iat", "typ", "jwk", "alg"])
def test_missing_members_are_refused(client, m2m, missing):
    key = DPoPKey()
    if missing == "alg":  # jwcrypto needs an alg to sign: build the proof by hand
        header = {"typ": "dpop+jwt", "jwk": key.public}
        payload = {"jti": "j", "htm": "POST", "htu": f"{settings.IAM_BASE_URL}{TOKEN}", "iat": int(time.time())}
        proof = f"{b64json(header)}.{b64json(payload)}.{b64url(b'x' * 64)}"
    else:
        proof = key.proof("POST", TOKEN, drop=(missing,))
    assert_invalid_proof(cc(client, m2m, proof))


@pytest.mark.parametrize(
    "header",
    [
        {"typ": "JWT"},
        {"typ": "at+jwt"},
        {"jku": "https://attacker.example.com/jwks"},
        {"x5u": "https://attacker.example.com/cert"},
        {"jwk": "not-an-object"},
    ],
)
def test_wrong_or_extra_header_members_are_refused(client, m2m, header):
    assert_invalid_proof(cc(client, m2m, DPoPKey().proof("POST", TOKEN, header=header)))


def test_crit_is_refused(client, m2m):
    key = DPoPKey()
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public, "crit": ["exp"], "exp": 1}
    assert_invalid_proof(cc(client, m2m, raw_proof(header, claims_for("POST", TOKEN), key.key, "ES256")), "crit")
    # the same proof without crit is fine: the signer works
    del header["crit"]
    assert cc(client, m2m, raw_proof(header, claims_for("POST", TOKEN), key.key, "ES256")).status_code == 200


def test_typ_is_compared_case_insensitively(client, m2m):
    assert cc(client, m2m, DPoPKey().proof("POST", TOKEN, header={"typ": "DPoP+JWT"})).status_code == 200


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_a_private_key_in_the_jwk_is_refused(client, m2m, alg):
    key = DPoPKey(alg)
    private = json.loads(key.key.export_private())
    assert "d" in private
    assert_invalid_proof(cc(client, m2m, key.proof("POST", TOKEN, header={"jwk": private})), "private")


def test_alg_none_is_refused(client, m2m):
    key = DPoPKey()
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": key.public}
    payload = {"jti": "j", "htm": "POST", "htu": f"{settings.IAM_BASE_URL}{TOKEN}", "iat": int(time.time())}
    assert_invalid_proof(cc(client, m2m, f"{b64json(header)}.{b64json(payload)}."), "alg")


def test_hs256_is_refused(client, m2m):
    key = DPoPKey()
    secret = jwk.JWK.generate(kty="oct", size=256)
    proof = key.proof("POST", TOKEN, header={"alg": "HS256"}, signing_key=secret)
    assert_invalid_proof(cc(client, m2m, proof), "alg")
    # nor with the symmetric key itself in the header
    proof = key.proof("POST", TOKEN, header={"alg": "HS256", "jwk": json.loads(secret.export())}, signing_key=secret)
    assert_invalid_proof(cc(client, m2m, proof))


def test_a_key_that_does_not_fit_the_alg_is_refused(client, m2m):
    rsa = DPoPKey("RS256")
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": rsa.public}
    assert_invalid_proof(cc(client, m2m, raw_proof(header, claims_for("POST", TOKEN), rsa.key, "RS256")), "jwk")
    p384 = jwk.JWK.generate(kty="EC", crv="P-384")
    proof = DPoPKey().proof(
        "POST", TOKEN, header={"alg": "ES384", "jwk": json.loads(p384.export_public())}, signing_key=p384
    )
    assert_invalid_proof(cc(client, m2m, proof), "alg")


def test_a_signature_by_another_key_is_refused(client, m2m):
    key, other = DPoPKey(), DPoPKey()
    assert_invalid_proof(cc(client, m2m, key.proof("POST", TOKEN, signing_key=other.key)), "signature")


def test_small_rsa_keys_are_refused(client, m2m):
    small = DPoPKey.__new__(DPoPKey)
    small.alg, small.key = "RS256", jwk.JWK.generate(kty="RSA", size=1024)
    small.public = json.loads(small.key.export_public())
    assert_invalid_proof(cc(client, m2m, small.proof("POST", TOKEN)))


@pytest.mark.parametrize(
    "value",
    ["a, b", "not-a-jwt", "a.b.c", "", "e30.e30.e30", "W10.e30.e30", "deep", "x" * 9000],
)
def test_malformed_or_repeated_dpop_headers_are_refused(client, m2m, value):
    if value == "a, b":  # two DPoP headers reach Django joined with a comma
        value = f"{DPoPKey().proof('POST', TOKEN)}, {DPoPKey().proof('POST', TOKEN)}"
    elif value == "deep":  # JSON nested beyond the parser's recursion limit
        value = f"{b64url(b'[' * 5000)}.e30.e30"
    assert_invalid_proof(cc(client, m2m, value))


def test_the_access_token_hash_is_checked_when_present(client, m2m):
    # A token request carries no access token: an ath is ignored there, but a proof made for a
    # resource request (GET, another htu) cannot be moved to the token endpoint.
    key = DPoPKey()
    assert cc(client, m2m, key.proof("POST", TOKEN, access_token="whatever")).status_code == 200
    assert_invalid_proof(cc(client, m2m, key.proof("GET", "/oauth2/userinfo", access_token="x")))


# --- the application's binding and the other grants ------------------------------------------


def test_an_app_with_dpop_binding_refuses_requests_without_a_proof(client, root_org, make_app, orders_api):
    app = make_app(root_org, "m2m-application", "bound", token_binding="DPoP", apis={orders_api: ["orders:read"]})
    response = cc(client, app)
    assert_invalid_proof(response, "DPoP header is required")
    assert cc(client, app, DPoPKey().proof("POST", TOKEN)).json()["token_type"] == "DPoP"


def test_turning_dpop_binding_on_reaches_a_warm_client_cache(client, m2m):
    assert cc(client, m2m).status_code == 200
    Application.objects.filter(pk=m2m.application.pk).update(token_binding="DPoP", updated=timezone.now())
    assert_invalid_proof(cc(client, m2m), "required")


def test_a_stale_client_snapshot_retry_keeps_the_binding(client, m2m):
    key = DPoPKey()
    assert cc(client, m2m).status_code == 200  # warm the cache
    Application.objects.filter(pk=m2m.application.pk).update(updated=timezone.now())
    proof = key.proof("POST", TOKEN)
    body = cc(client, m2m, proof).json()  # first attempt is stale, the retry mints the token
    assert body["token_type"] == "DPoP"
    assert introspect(client, m2m, body["access_token"]).json()["cnf"] == {"jkt": key.jkt}
    assert DPoPProof.objects.count() == 1
    assert_invalid_proof(cc(client, m2m, proof), "already used")


def token_request(client, app, data: dict[str, Any], key: DPoPKey | None):
    headers = {"HTTP_DPOP": key.proof("POST", TOKEN)} if key is not None else {}
    if app.secret:
        headers["HTTP_AUTHORIZATION"] = basic(app.client_id, app.secret)
    else:
        data = {**data, "client_id": app.client_id}
    return form_post(client, TOKEN, data, **headers)


def code_tokens(client, browser, app, key: DPoPKey | None, **authorize: Any):
    verifier, challenge = pkce_pair()
    code = get_code(browser, app, challenge=challenge, **authorize)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    return token_request(client, app, data, key)


def refresh(client, app, refresh_token: str, key: DPoPKey | None):
    return token_request(client, app, {"grant_type": "refresh_token", "refresh_token": refresh_token}, key)


def test_authorization_code_and_refresh_with_dpop_for_a_confidential_client(client, browser, web, root_org):
    key = DPoPKey()
    body = code_tokens(client, browser, web, key).json()
    assert body["token_type"] == "DPoP"
    assert jwt_parts(body["access_token"])[1]["cnf"] == {"jkt": key.jkt}
    assert "cnf" not in jwt_parts(body["id_token"])[1]
    # RFC 9449 §5: a confidential client's refresh token is not bound; each new access token
    # takes the key of the proof sent with the refresh.
    other = DPoPKey()
    second = refresh(client, web, body["refresh_token"], other).json()
    assert second["token_type"] == "DPoP"
    assert jwt_parts(second["access_token"])[1]["cnf"] == {"jkt": other.jkt}
    third = refresh(client, web, second["refresh_token"], None).json()
    assert third["token_type"] == "Bearer"


@pytest.fixture
def spa(root_org, orders_api, make_app):
    return make_app(root_org, "react-application", "spa", apis={orders_api: ["orders:read"]})


def test_a_public_clients_refresh_token_is_bound_to_its_key(client, browser, spa, alice):
    key = DPoPKey()
    body = code_tokens(client, browser, spa, key).json()
    assert body["token_type"] == "DPoP"
    refresh_token = body["refresh_token"]
    info = form_post(client, "/oauth2/introspect", {"token": refresh_token})  # public clients cannot introspect
    assert info.status_code == 401

    different = refresh(client, spa, refresh_token, DPoPKey())
    assert different.status_code == 400
    assert different.json()["error"] == "invalid_grant"
    missing = refresh(client, spa, refresh_token, None)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_grant"
    same = refresh(client, spa, refresh_token, key)
    assert same.status_code == 200, same.content
    assert same.json()["token_type"] == "DPoP"
    assert jwt_parts(same.json()["access_token"])[1]["cnf"] == {"jkt": key.jkt}
    # and the rotated refresh token is still bound
    again = refresh(client, spa, same.json()["refresh_token"], DPoPKey())
    assert again.json()["error"] == "invalid_grant"


def test_introspection_of_a_bound_public_refresh_token_shows_the_key(client, browser, spa, m2m):
    key = DPoPKey()
    body = code_tokens(client, browser, spa, key).json()
    info = introspect(client, m2m, body["refresh_token"], token_type_hint="refresh_token").json()
    assert info["active"] is True
    assert info["cnf"] == {"jkt": key.jkt}


def test_a_code_requested_with_dpop_jkt_needs_a_proof_of_that_key(client, browser, web):
    key = DPoPKey()
    assert_invalid_proof(code_tokens(client, browser, web, DPoPKey(), dpop_jkt=key.jkt), "dpop_jkt")
    assert_invalid_proof(code_tokens(client, browser, web, None, dpop_jkt=key.jkt), "dpop_jkt")
    body = code_tokens(client, browser, web, key, dpop_jkt=key.jkt).json()
    assert body["token_type"] == "DPoP"


def test_a_malformed_dpop_jkt_is_an_authorize_error(browser, web):
    response = browser.get(
        "/oauth2/authorize",
        {"response_type": "code", "client_id": web.client_id, "redirect_uri": REDIRECT,
         "scope": "openid", "code_challenge": pkce_pair()[1], "code_challenge_method": "S256", "dpop_jkt": "short"},
    )  # fmt: skip
    assert response.status_code == 302
    assert "error=invalid_request" in response["Location"]


# --- nonces ------------------------------------------------------------------------------------


def test_server_nonces_when_required(client, m2m, settings):
    settings.IAM_DPOP_NONCE_REQUIRED = True
    key = DPoPKey()
    first = cc(client, m2m, key.proof("POST", TOKEN))
    assert first.status_code == 400
    assert first.json()["error"] == "use_dpop_nonce"
    nonce = first["DPoP-Nonce"]
    assert nonce
    wrong = cc(client, m2m, key.proof("POST", TOKEN, nonce=nonce + "x"))
    assert wrong.json()["error"] == "use_dpop_nonce"
    ok = cc(client, m2m, key.proof("POST", TOKEN, nonce=nonce))
    assert ok.status_code == 200, ok.content
    assert ok.json()["token_type"] == "DPoP"
    assert ok["DPoP-Nonce"]  # the nonce to use next (RFC 9449 §8.2)


def test_nonces_are_not_required_by_default(client, m2m):
    response = cc(client, m2m, DPoPKey().proof("POST", TOKEN))
    assert response.status_code == 200
    assert not response.has_header("DPoP-Nonce")


# --- cost and housekeeping ---------------------------------------------------------------------


def test_dpop_adds_one_query_to_client_credentials(client, m2m, django_assert_max_num_queries):
    for _ in range(2):  # warm the client and signing-key caches
        assert cc(client, m2m, DPoPKey().proof("POST", TOKEN)).status_code == 200
    # tenant resolution + the proof's replay-cache row (which records the binding) + the token INSERT
    key = DPoPKey()
    with django_assert_max_num_queries(3):
        response = cc(client, m2m, key.proof("POST", TOKEN), scope="orders:read")
    assert response.json()["token_type"] == "DPoP"


def test_the_sweep_removes_expired_proof_rows_only(client, m2m):
    for _ in range(2):
        cc(client, m2m, DPoPKey().proof("POST", TOKEN))
    DPoPProof.objects.filter(pk=DPoPProof.objects.first().pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert expired_clear()["dpop_proofs"] == 1
    assert DPoPProof.objects.count() == 1
