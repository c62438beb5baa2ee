"""ID token verification against a real upstream: tenant B issues the token (over HTTP), A verifies it
with B's JWKS. A token that was altered, meant for someone else, expired or unsigned is refused."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from apps.idp.services.oidc import UpstreamError, id_token_verify
from tests.idp.conftest import Browser, pkce_pair

pytestmark = pytest.mark.django_db(transaction=True)
NONCE = "nonce-from-a"


@pytest.fixture
def upstream_id_token(federation) -> str:
    """An ID token B issued to A's client registration, obtained through B's real endpoints."""
    fed = federation
    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": fed.upstream_app.client_id,
            "redirect_uri": f"{fed.base}/commonauth",
            "scope": "openid email employment",
            "state": "s",
            "nonce": NONCE,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    browser = Browser()
    browser.get(f"{fed.base}/t/acme/oauth2/authorize?{query}")
    browser.follow()
    browser.submit_login("sam")
    browser.follow(until=f"{fed.base}/commonauth")
    code = parse_qs(urlsplit(browser.url).query)["code"][0]
    response = requests.post(
        f"{fed.base}/t/acme/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{fed.base}/commonauth",
            "code_verifier": verifier,
        },
        auth=(fed.upstream_app.client_id, fed.upstream_app.secret),
        timeout=15,
    )
    assert response.status_code == 200, response.text
    return response.json()["id_token"]


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _payload(token: str) -> dict:
    segment = _segments(token)[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_the_genuine_token_verifies_and_carries_the_released_claims(federation, upstream_id_token):
    claims = id_token_verify(federation.idp, upstream_id_token, nonce=NONCE)
    assert claims["iss"] == f"{federation.base}/t/acme/oauth2/token"
    assert claims["employee_id"] == "E-1007"
    assert claims["email"] == "sam@example.com"


def test_an_altered_payload_is_refused(federation, upstream_id_token):
    header, _payload_segment, signature = _segments(upstream_id_token)
    claims = _payload(upstream_id_token)
    claims["sub"] = "someone-else"
    with pytest.raises(UpstreamError) as failure:
        id_token_verify(federation.idp, f"{header}.{_b64(claims)}.{signature}", nonce=NONCE)
    assert failure.value.reason == "id_token_signature_invalid"


def test_an_unsigned_token_is_refused(federation, upstream_id_token):
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_payload(upstream_id_token))}."
    with pytest.raises(UpstreamError) as failure:
        id_token_verify(federation.idp, unsigned, nonce=NONCE)
    assert failure.value.reason == "id_token_alg_refused"


def test_a_token_for_another_client_or_issuer_or_nonce_or_time_is_refused(federation, upstream_id_token):
    idp = federation.idp
    with pytest.raises(UpstreamError) as failure:
        id_token_verify(idp, upstream_id_token, nonce="another-nonce")
    assert failure.value.reason == "id_token_nonce_mismatch"
    with pytest.raises(UpstreamError) as failure:
        id_token_verify(idp, upstream_id_token, nonce=NONCE, now=time.time() + 7200)
    assert failure.value.reason == "id_token_expired"
    idp.client_id = "someone-elses-client"
    with pytest.raises(UpstreamError) as failure:
        id_token_verify(idp, upstream_id_token, nonce=NONCE)
    assert failure.value.reason == "id_token_audience_mismatch"
    idp.refresh_from_db()
    idp.issuer = f"{federation.base}/t/other/oauth2/token"
    with pytest.raises(UpstreamError) as failure:
        id_token_verify(idp, upstream_id_token, nonce=NONCE)
    assert failure.value.reason == "id_token_issuer_mismatch"
