"""Token exchange (RFC 8693): subject and actor tokens of this server, act chains, scope and audience rules,
every bad input, and tenant isolation."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from jwcrypto import jwk, jws
from oauth2_provider.models import get_access_token_model

from apps.keystores.selectors import keystore_jwks
from tests.oauth.conftest import BILLING, ORDERS, REDIRECT
from tests.oauth.helpers import basic, form_post, jwt_parts, jwt_verified_claims, pkce_pair
from tests.oauth.test_authorization_code import exchange, get_code

TOKEN = "/oauth2/token"
TX = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
JWT = "urn:ietf:params:oauth:token-type:jwt"


def user_token(client, browser, app, scope="openid orders:read") -> str:
    verifier, challenge = pkce_pair()
    response = exchange(client, app, get_code(browser, app, scope=scope, challenge=challenge), verifier)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def cc_token(client, app, url=TOKEN) -> str:
    response = form_post(
        client, url, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, app.secret)
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def token_exchange(client, app, subject, *, url=TOKEN, subject_type=ACCESS, **more):
    headers = {name: more.pop(name) for name in list(more) if name.startswith("HTTP_")}
    data = {"grant_type": TX, "subject_token": subject, "subject_token_type": subject_type, **more}
    data = {key: value for key, value in data.items() if value is not None}
    return form_post(client, url, data, HTTP_AUTHORIZATION=basic(app.client_id, app.secret), **headers)


@pytest.fixture
def exchanger(root_org, orders_api, billing_api, make_app):
    """A confidential agent host allowed to exchange tokens, authorized for both APIs."""
    return make_app(
        root_org,
        name="agent-host",
        grant_types=[TX, "client_credentials"],
        apis={orders_api: ["orders:read", "orders:write"], billing_api: ["billing:read"]},
    )


@pytest.fixture
def agents(root_org, orders_api, make_app):
    return [make_app(root_org, "m2m-application", f"agent-{n}", apis={orders_api: ["orders:read"]}) for n in (1, 2)]


def claims_of(token, org):
    return jwt_verified_claims(token, keystore_jwks(organization=org))


def test_exchange_gives_the_user_a_token_for_the_exchanging_client(client, browser, web, exchanger, alice, root_org):
    subject = user_token(client, browser, web)
    response = token_exchange(
        client, exchanger, subject, scope="orders:read orders:write billing:read", resource=ORDERS
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["issued_token_type"] == ACCESS
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "orders:read"  # nothing beyond the subject token's scopes
    assert "refresh_token" not in body
    assert response["Cache-Control"] == "no-store"
    header, _ = jwt_parts(body["access_token"])
    assert header["typ"] == "at+jwt"
    claims = claims_of(body["access_token"], root_org)
    assert claims["sub"] == str(alice.id)
    assert claims["client_id"] == exchanger.client_id
    assert claims["aud"] == ORDERS
    assert claims["aut"] == "APPLICATION_USER"
    assert "act" not in claims
    info = form_post(
        client,
        "/oauth2/introspect",
        {"token": body["access_token"]},
        HTTP_AUTHORIZATION=basic(web.client_id, web.secret),
    ).json()
    assert info["active"] is True
    assert info["sub"] == str(alice.id)


def test_without_scope_the_subject_tokens_scopes_are_kept(client, browser, web, exchanger, root_org):
    subject = user_token(client, browser, web, scope="openid orders:read")
    body = token_exchange(client, exchanger, subject, subject_type=JWT).json()
    assert body["scope"] == "openid orders:read"
    assert claims_of(body["access_token"], root_org)["aud"] == exchanger.client_id


def test_audience_names_a_resource_like_resource_does(client, browser, web, exchanger, root_org):
    subject = user_token(client, browser, web)
    body = token_exchange(client, exchanger, subject, audience=ORDERS).json()
    assert claims_of(body["access_token"], root_org)["aud"] == ORDERS


def test_actor_token_adds_act_and_chains_nest(client, browser, web, exchanger, agents, alice, root_org):
    subject = user_token(client, browser, web)
    first_agent, second_agent = agents
    delegated = token_exchange(
        client, exchanger, subject, actor_token=cc_token(client, first_agent), actor_token_type=ACCESS
    ).json()["access_token"]
    claims = claims_of(delegated, root_org)
    assert claims["sub"] == str(alice.id)
    assert claims["act"] == {"sub": first_agent.client_id}

    chained = token_exchange(
        client, exchanger, delegated, actor_token=cc_token(client, second_agent), actor_token_type=JWT
    ).json()["access_token"]
    assert claims_of(chained, root_org)["act"] == {
        "sub": second_agent.client_id,
        "act": {"sub": first_agent.client_id},
    }
    # Exchanging again without an actor keeps the chain as it is: it cannot be rewritten.
    kept = token_exchange(client, exchanger, chained).json()["access_token"]
    assert claims_of(kept, root_org)["act"] == claims_of(chained, root_org)["act"]


def test_an_actor_token_with_its_own_act_nests_its_chain(client, browser, web, exchanger, agents, root_org, alice):
    subject = user_token(client, browser, web)
    delegated = token_exchange(
        client, exchanger, subject, actor_token=cc_token(client, agents[0]), actor_token_type=ACCESS
    ).json()["access_token"]
    # A fresh subject (no act) with that delegated token as the actor.
    fresh = user_token(client, browser, web)
    body = token_exchange(client, exchanger, fresh, actor_token=delegated, actor_token_type=ACCESS).json()
    assert claims_of(body["access_token"], root_org)["act"] == {
        "sub": str(alice.id),
        "act": {"sub": agents[0].client_id},
    }


def test_an_opaque_subject_token_is_looked_up_by_checksum(
    client, browser, root_org, orders_api, make_app, exchanger, alice
):
    opaque = make_app(root_org, name="opaque-web", apis={orders_api: ["orders:read"]}, access_token_format="Default")
    subject = user_token(client, browser, opaque)
    assert subject.count(".") == 0
    body = token_exchange(client, exchanger, subject).json()
    assert claims_of(body["access_token"], root_org)["sub"] == str(alice.id)


def test_scopes_follow_the_users_roles_now(client, browser, web, exchanger, alice):
    from apps.users.models import Role

    subject = user_token(client, browser, web)
    Role.objects.filter(name="role-alice").delete()
    body = token_exchange(client, exchanger, subject, scope="orders:read").json()
    assert "scope" not in body


@pytest.mark.parametrize(
    ("more", "error"),
    [
        ({"subject_token": None}, "invalid_request"),
        ({"subject_token": ""}, "invalid_request"),
        ({"subject_token_type": None}, "invalid_request"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:id_token"}, "invalid_request"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"}, "invalid_request"),
        ({"actor_token": "x.y.z"}, "invalid_request"),
        ({"actor_token_type": ACCESS}, "invalid_request"),
        (
            {"actor_token": "x.y.z", "actor_token_type": "urn:ietf:params:oauth:token-type:refresh_token"},
            "invalid_request",
        ),
        ({"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"}, "invalid_request"),
        ({"requested_token_type": "urn:ietf:params:oauth:token-type:id_token"}, "invalid_request"),
        ({"subject_token": "not-a-token"}, "invalid_grant"),
        ({"subject_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}, "invalid_grant"),
        ({"actor_token": "not-a-token", "actor_token_type": ACCESS}, "invalid_grant"),
        ({"resource": "https://api.example.com/unknown"}, "invalid_target"),
        ({"audience": "not-a-registered-audience"}, "invalid_target"),
        ({"scope": 'bad"scope'}, "invalid_scope"),
    ],
)
def test_bad_requests(client, browser, web, exchanger, more, error):
    subject = user_token(client, browser, web)
    response = token_exchange(client, exchanger, more.pop("subject_token", subject), **more)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == error


def test_revoked_and_expired_subject_tokens_are_invalid_grant(client, browser, web, exchanger):
    revoked = user_token(client, browser, web)
    form_post(client, "/oauth2/revoke", {"token": revoked}, HTTP_AUTHORIZATION=basic(web.client_id, web.secret))
    expired = user_token(client, browser, web)
    get_access_token_model().objects.filter(application=web.application).update(expires=timezone.now() - timedelta(1))
    for subject in (revoked, expired):
        response = token_exchange(client, exchanger, subject)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"


def test_an_application_token_is_no_subject(client, exchanger, agents):
    response = token_exchange(client, exchanger, cc_token(client, agents[0]))
    assert response.json()["error"] == "invalid_grant"


def test_only_clients_allowed_the_grant_may_exchange(client, browser, web, root_org, make_app, orders_api):
    subject = user_token(client, browser, web)
    assert token_exchange(client, web, subject).json()["error"] == "unauthorized_client"
    opaque = make_app(root_org, name="opaque-agent", grant_types=[TX], access_token_format="Default")
    assert token_exchange(client, opaque, subject).json()["error"] == "unauthorized_client"
    public = make_app(root_org, "react-application", "spa", grant_types=["authorization_code", TX])
    response = form_post(
        client,
        TOKEN,
        {"grant_type": TX, "client_id": public.client_id, "subject_token": subject, "subject_token_type": ACCESS},
    )
    assert response.json()["error"] == "unauthorized_client"


def test_a_subject_token_of_tenant_a_is_invalid_grant_at_tenant_b(
    client, browser, web, exchanger, other_tenant, make_app
):
    acme_exchanger = make_app(other_tenant, name="acme-agent", grant_types=[TX])
    subject = user_token(client, browser, web)
    response = token_exchange(client, acme_exchanger, subject, url="/t/acme/oauth2/token")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    # ... and the actor token must be of the same tenant too.
    acme_m2m = make_app(other_tenant, "m2m-application", "acme-m2m")
    actor = cc_token(client, acme_m2m, url="/t/acme/oauth2/token")
    response = token_exchange(client, exchanger, subject, actor_token=actor, actor_token_type=ACCESS)
    assert response.json()["error"] == "invalid_grant"
    # The exchanger of tenant A is unknown at tenant B.
    assert token_exchange(client, exchanger, subject, url="/t/acme/oauth2/token").status_code == 401


def test_billing_resource_needs_the_exchanger_to_be_authorized(client, browser, web, root_org, make_app, orders_api):
    narrow = make_app(root_org, name="narrow-agent", grant_types=[TX], apis={orders_api: ["orders:read"]})
    subject = user_token(client, browser, web)
    assert token_exchange(client, narrow, subject, resource=BILLING).json()["error"] == "invalid_target"


def dpop_proof(key: jwk.JWK, url: str = "http://127.0.0.1:8000/oauth2/token") -> str:
    """An RFC 9449 proof built here with jwcrypto, independently of the server's code."""
    payload = {"jti": str(uuid.uuid4()), "htm": "POST", "htu": url, "iat": int(time.time())}
    protected = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.export_public(as_dict=True)}
    token = jws.JWS(json.dumps(payload))
    token.add_signature(key, alg="ES256", protected=json.dumps(protected))
    return token.serialize(compact=True)


def test_a_dpop_bound_subject_token_needs_a_proof_of_its_key(client, browser, web, exchanger, root_org):
    key, stranger = (jwk.JWK.generate(kty="EC", crv="P-256") for _ in range(2))
    verifier, challenge = pkce_pair()
    code = get_code(browser, web, challenge=challenge)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    bound = form_post(
        client, TOKEN, data, HTTP_AUTHORIZATION=basic(web.client_id, web.secret), HTTP_DPOP=dpop_proof(key)
    ).json()
    assert bound["token_type"] == "DPoP"
    subject = bound["access_token"]
    assert token_exchange(client, exchanger, subject).json()["error"] == "invalid_grant"
    response = token_exchange(client, exchanger, subject, HTTP_DPOP=dpop_proof(stranger))
    assert response.json()["error"] == "invalid_grant"
    response = token_exchange(client, exchanger, subject, HTTP_DPOP=dpop_proof(key))
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    assert claims_of(response.json()["access_token"], root_org)["cnf"]["jkt"] == key.thumbprint()
